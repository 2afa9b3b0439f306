//! `wktui serve [NAME...]`: the local token endpoint as a long-running
//! process, until SIGINT, SIGTERM or SIGHUP. What a client needs (the URL,
//! the client ids, where the local secret is) goes to stdout at start; one
//! line per request goes to stderr or `--log FILE`.

use std::sync::Arc;
use std::time::Duration;

use super::args::ServeArgs;
use super::{CliError, Context, print};
use crate::config::Config;
use crate::model::Profile;
use crate::platform::signals::stop_requested;
use crate::presence::{self, Kind};
use crate::serve::{self, Endpoint, LEGACY_TOKEN_PATH, LogTarget, Server};

pub fn run(ctx: &Context, args: &ServeArgs) -> Result<(), CliError> {
    let listen = serve::parse_listen(&args.listen).map_err(|e| CliError::usage(e.to_string()))?;
    let profiles = chosen_profiles(&ctx.config, &args.names)?;
    let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
    let cache_dir = ctx.engine.cache().dir().to_path_buf();
    let credentials = match (&args.credentials, ctx.engine.cache().problem()) {
        (Some(path), _) => path.clone(),
        (None, None) => serve::default_credentials_path(&cache_dir),
        (None, Some(problem)) => {
            return Err(CliError::usage(format!(
                "no private directory for the credentials file ({problem}); name one with --credentials FILE"
            )));
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))?;
    let listener = {
        let _context = runtime.enter();
        serve::bind(listen).map_err(|e| CliError::runtime(e.to_string()))?
    };
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::runtime(format!("cannot read the bound address: {e}")))?;
    let base_url = format!("http://{addr}");
    let token_url = serve::token_url(addr);
    let secret = serve::prepare_credentials(&credentials, &token_url, &names)
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let endpoint = Endpoint {
        profiles,
        secret,
        margin: ctx.config.settings.refresh_margin,
        log: match &args.log {
            Some(path) => LogTarget::File(path.clone()),
            None => LogTarget::Stderr,
        },
    };
    let server = Server::new(listener, endpoint, Arc::clone(&ctx.engine))
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let registration = presence::register(&cache_dir, Kind::Serve, &names, Some(&base_url));
    if let Err(e) = &registration {
        super::eprint_safe!(
            "wktui: warning: cannot register in {}: {e} (the interface will not mark these profiles)",
            cache_dir.display()
        );
    }
    print(&format!(
        "wktui serve: listening on {base_url} for {}\n\
         \x20 token URL    {token_url}  (legacy: {base_url}{LEGACY_TOKEN_PATH})\n\
         \x20 client id    the profile name\n\
         \x20 secret       WORKIVA_CLIENT_SECRET in {} (a local secret, new on every start; not your Workiva one)\n\
         \x20 health       {base_url}{}\n",
        names.join(", "),
        credentials.display(),
        serve::HEALTH_PATH,
    ))?;
    let shutdown = async {
        let signal = stop_requested().await;
        eprintln!("wktui serve: {signal} received, stopping");
    };
    runtime.block_on(server.run(shutdown));
    // A fetch still waiting on the cache lock must not hold up the exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    drop(registration);
    Ok(())
}

/// The named profiles, in order and once each; all of them when none are named.
fn chosen_profiles(config: &Config, names: &[String]) -> Result<Vec<Profile>, CliError> {
    if names.is_empty() {
        if config.profiles.is_empty() {
            return Err(CliError::usage(
                "no profiles to serve; add one with `wktui profile add NAME --client-id ID`",
            ));
        }
        return Ok(config.profiles.clone());
    }
    let mut chosen: Vec<Profile> = Vec::new();
    for name in names {
        let profile = config.profile(name)?;
        if !chosen.iter().any(|p| p.name == profile.name) {
            chosen.push(profile.clone());
        }
    }
    Ok(chosen)
}
