# The release's Scoop manifest (filled in with a local URL by
# .ci/smoke-installers), installed by Scoop itself: the download checked
# against the manifest's hash, unpacked by its extract_dir, a shim made for
# wktui.exe. Installs Scoop first where it is missing (CI's runners).
param(
    [Parameter(Mandatory = $true)][string]$Version,
    [Parameter(Mandatory = $true)][string]$Manifest
)
$ErrorActionPreference = 'Stop'

if (-not (Get-Command scoop -ErrorAction SilentlyContinue)) {
    $Installer = Join-Path ([IO.Path]::GetTempPath()) 'install-scoop.ps1'
    Invoke-RestMethod -Uri 'https://get.scoop.sh' -OutFile $Installer
    # CI's runners run as an administrator, which Scoop's installer refuses
    # without this switch.
    & $Installer -RunAsAdmin
    $env:Path = "$(Join-Path $env:USERPROFILE 'scoop\shims');$env:Path"
}
$Shims = Split-Path -Parent (Get-Command scoop).Source

scoop install $Manifest
$Shim = Join-Path $Shims 'wktui.exe'
if (-not (Test-Path $Shim)) {
    throw "windows-scoop: scoop install $Manifest made no shim $Shim"
}
$Said = & $Shim --version
if ($LASTEXITCODE -ne 0 -or "$Said" -ne "wktui $Version") {
    throw "windows-scoop: the shim said '$Said' (exit $LASTEXITCODE), expected 'wktui $Version'"
}
$Prefix = (scoop prefix wktui | Out-String).Trim()
foreach ($File in @('wktui.exe', 'wktui.1', 'completions\_wktui.ps1')) {
    if (-not (Test-Path (Join-Path $Prefix $File))) {
        throw "windows-scoop: $Prefix holds no $File"
    }
}
scoop uninstall wktui
if (Test-Path $Shim) {
    throw "windows-scoop: scoop uninstall left $Shim"
}
Write-Host "windows-scoop: scoop installed $Said from the manifest, ran it through its shim, and removed it"
