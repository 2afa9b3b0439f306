//! `wktui config edit` with editor scripts standing in for a person: an
//! invalid save never reaches the real file, the error is shown at the top
//! of the copy, and a valid save replaces the file whole.

#![cfg(unix)] // the editor stand-ins are sh scripts

use std::path::PathBuf;

use crate::common::Sandbox;

const ORIGINAL: &str = "\
# my grants
[settings]
refresh_margin = 90

# the production grant
[[profile]]
name = \"prod\"
client_id = \"abc\"
";

/// Writes an editor script and makes the sandbox use it as $EDITOR.
fn editor(sb: &mut Sandbox, body: &str) -> PathBuf {
    let script = sb.path().join("editor.sh");
    std::fs::write(&script, format!("#!/bin/sh\nset -e\nfile=\"$1\"\n{body}\n")).expect("write editor");
    sb.set_env("EDITOR", &format!("sh {}", script.display()));
    script
}

#[test]
fn an_invalid_save_leaves_the_original_untouched_and_keeps_the_edit() {
    let mut sb = Sandbox::new();
    sb.write_config(ORIGINAL);
    let seen = sb.path().join("seen.log");
    // A person who saves a bad region, and saves again without fixing it.
    editor(
        &mut sb,
        &format!(
            "cat \"$file\" >> {seen}\necho '---' >> {seen}\n\
             printf '[[profile]]\\nname = \"prod\"\\nregion = \"moon\"\\nclient_id = \"abc\"\\n' > \"$file\"",
            seen = seen.display()
        ),
    );
    let run = sb.run(&["config", "edit"]).fails_with(2);
    run.says(&[
        "not saved",
        "region",
        "\"moon\" is not a valid region",
        "your edit is kept in",
    ]);
    assert_eq!(
        std::fs::read_to_string(sb.config_path()).expect("config"),
        ORIGINAL
    );

    // The editor was opened twice: on the original, then with the error on top.
    let seen = std::fs::read_to_string(&seen).expect("seen");
    let rounds: Vec<&str> = seen.split("---\n").collect();
    assert_eq!(rounds.len(), 3, "{seen}");
    assert_eq!(rounds[0], ORIGINAL);
    let second: Vec<&str> = rounds[1].lines().collect();
    assert!(
        second[0].starts_with("# wktui: NOT SAVED, line 6, column 10: region:"),
        "{}",
        rounds[1]
    );
    assert_eq!(second[3], "[[profile]]", "the note is three lines on top");

    // The edit is kept where the message says, without the note.
    let kept = run
        .stderr
        .rsplit("your edit is kept in ")
        .next()
        .expect("path")
        .trim();
    let kept_text = std::fs::read_to_string(kept).expect("kept copy");
    assert!(
        kept_text.starts_with("[[profile]]") && kept_text.contains("moon"),
        "{kept_text}"
    );
    let _ = std::fs::remove_file(kept);
}

#[test]
fn a_valid_save_replaces_the_file_and_a_fix_after_an_error_is_taken() {
    let mut sb = Sandbox::new();
    sb.write_config(ORIGINAL);
    // First save breaks the file; the second (seeing the note) fixes it.
    editor(
        &mut sb,
        "if grep -q '^# wktui: NOT SAVED' \"$file\"; then\n\
           sed -i 's/region = \"moon\"/region = \"eu\"/' \"$file\"\n\
         else\n\
           printf 'region = \"moon\"\\n' >> \"$file\"\n\
         fi",
    );
    let run = sb.run(&["config", "edit"]).ok();
    assert!(run.stdout.starts_with("Saved "), "{}", run.stdout);
    let saved = std::fs::read_to_string(sb.config_path()).expect("config");
    assert_eq!(
        saved,
        format!("{ORIGINAL}region = \"eu\"\n"),
        "comments kept, note gone"
    );
    let show = sb
        .run(&["profile", "show", "prod", "--format", "json"])
        .ok()
        .stdout;
    assert!(show.contains("\"region\":\"eu\""), "{show}");
}

#[test]
fn an_unchanged_save_or_a_failing_editor_changes_nothing() {
    let mut sb = Sandbox::new();
    sb.write_config(ORIGINAL);
    editor(&mut sb, "true");
    let run = sb.run(&["config", "edit"]).ok();
    assert!(run.stdout.starts_with("No changes"), "{}", run.stdout);

    editor(&mut sb, "printf 'garbage = [' > \"$file\"; exit 3");
    sb.run(&["config", "edit"])
        .fails_with(1)
        .says(&["exited with", "nothing was saved"]);
    assert_eq!(
        std::fs::read_to_string(sb.config_path()).expect("config"),
        ORIGINAL
    );

    // VISUAL wins over EDITOR.
    let marker = sb.path().join("visual-ran");
    sb.set_env("VISUAL", &format!("touch {} && true", marker.display()));
    sb.run(&["config", "edit"]).ok();
    assert!(marker.exists());
}

#[test]
fn a_broken_file_can_be_fixed_with_config_edit() {
    let mut sb = Sandbox::new();
    sb.write_config("[[profile]]\nname = \"prod\"\nclient_id = \n");
    sb.run(&["list"]).fails_with(2);
    editor(
        &mut sb,
        "printf '[[profile]]\\nname = \"prod\"\\nclient_id = \"fixed\"\\n' > \"$file\"",
    );
    sb.run(&["config", "edit"]).ok();
    let names = sb.run(&["profile", "list", "--names"]).ok().stdout;
    assert_eq!(names, "prod\n");
}

#[test]
fn a_file_changed_while_the_editor_was_open_is_not_overwritten() {
    let mut sb = Sandbox::new();
    sb.write_config(ORIGINAL);
    // Another program changes the real file while "the editor" is open.
    let config = sb.config_path();
    editor(
        &mut sb,
        &format!(
            "printf '# changed elsewhere\\n' >> {}\nprintf 'region = \"eu\"\\n' >> \"$file\"",
            config.display()
        ),
    );
    let run = sb.run(&["config", "edit"]).fails_with(1);
    run.says(&["was changed by another program", "your edit is kept in"]);
    let now = std::fs::read_to_string(&config).expect("config");
    assert_eq!(now, format!("{ORIGINAL}# changed elsewhere\n"));
}

#[test]
fn config_path_prints_where_the_file_is() {
    let sb = Sandbox::new();
    let run = sb.run(&["config", "path"]).ok();
    assert_eq!(PathBuf::from(run.stdout.trim()), sb.config_path());
    let run = sb.run(&["--config", "/elsewhere/c.toml", "config", "path"]).ok();
    assert_eq!(run.stdout.trim(), "/elsewhere/c.toml");
}
