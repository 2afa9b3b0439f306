# Installs wktui @VERSION@ on Windows (x86_64; runs on ARM64 Windows 11 under
# its x64 emulation) from the release's zip, checked against the SHA-256
# written into this script when the release was made:
#
#   powershell -ExecutionPolicy Bypass -c "irm @BASE_URL@/install.ps1 | iex"
#
# Into %LOCALAPPDATA%\Programs\wktui ($env:WKTUI_INSTALL_DIR for another),
# which is added to the user's PATH. Nothing needs administrator rights.
# (.ci/installers fills in the version, the URL and the checksum.)
# `irm | iex` runs this in the caller's session: in a script block of its own,
# its variables and preferences stay out of that session.
& {
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'

    $Version = '@VERSION@'
    $BaseUrl = '@BASE_URL@'
    $Target = 'x86_64-pc-windows-msvc'
    $Expected = '@SHA256:x86_64-pc-windows-msvc@'

    if ($Version.StartsWith('@')) {
        throw 'wktui installer: this is the template in the source tree; use the install.ps1 of a release'
    }
    if ($Expected.StartsWith('@')) {
        throw "wktui installer: release $Version has no build for $Target"
    }
    if (-not [Environment]::Is64BitOperatingSystem) {
        throw 'wktui installer: wktui is built for 64-bit Windows only'
    }

    $InstallDir = if ($env:WKTUI_INSTALL_DIR) { $env:WKTUI_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'Programs\wktui' }
    $Name = "wktui-$Target"
    $Temp = Join-Path ([IO.Path]::GetTempPath()) ("wktui-install-" + [Guid]::NewGuid())
    New-Item -ItemType Directory -Path $Temp | Out-Null
    try {
        $Zip = Join-Path $Temp "$Name.zip"
        Write-Host "wktui installer: downloading wktui $Version for $Target"
        Invoke-WebRequest -UseBasicParsing -Uri "$BaseUrl/$Name.zip" -OutFile $Zip
        $Actual = (Get-FileHash -Algorithm SHA256 -Path $Zip).Hash.ToLowerInvariant()
        if ($Actual -ne $Expected) {
            throw "wktui installer: $Name.zip has SHA-256 $Actual, expected ${Expected}: not installed"
        }
        Expand-Archive -Path $Zip -DestinationPath $Temp -Force
        $Unpacked = Join-Path $Temp $Name
        if (-not (Test-Path (Join-Path $Unpacked 'wktui.exe'))) {
            throw "wktui installer: $Name.zip holds no $Name\wktui.exe"
        }

        New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
        Copy-Item -Force (Join-Path $Unpacked 'wktui.exe') $InstallDir
        Copy-Item -Force (Join-Path $Unpacked 'README.md') $InstallDir
        Copy-Item -Force -Recurse (Join-Path $Unpacked 'completions') $InstallDir

        $UserPath = [Environment]::GetEnvironmentVariable('Path', 'User')
        # @() keeps a one-entry PATH an array, so + appends instead of concatenating.
        $Parts = @()
        if ($UserPath) { $Parts = @($UserPath.Split(';') | Where-Object { $_ }) }
        if ($Parts -notcontains $InstallDir) {
            [Environment]::SetEnvironmentVariable('Path', ((@($Parts) + $InstallDir) -join ';'), 'User')
            $env:Path = "$env:Path;$InstallDir"
            Write-Host "wktui installer: added $InstallDir to your PATH (new terminals see it)"
        }
        $Installed = & (Join-Path $InstallDir 'wktui.exe') --version
        Write-Host "wktui installer: installed $Installed as $(Join-Path $InstallDir 'wktui.exe')"
        Write-Host '  completions: add  wktui completions powershell | Out-String | Invoke-Expression  to your $PROFILE'
    }
    finally {
        Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue
    }
}
