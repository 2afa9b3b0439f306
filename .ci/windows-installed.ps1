# A wktui that install.ps1 has just installed, seen as a new terminal sees it
# (run by .ci/smoke-installers, in Windows PowerShell and in pwsh):
#   - PATH as Windows gives a new terminal (the machine's, then the user's,
#     from the registry, not this process's) finds wktui.exe in the install
#     directory, and `wktui --version` says the version;
#   - the completer of `wktui completions powershell`, loaded as README says,
#     completes `wktui compl` to `wktui completions`.
param(
    [Parameter(Mandatory = $true)][string]$Version,
    # install.ps1's default
    [string]$InstallDir = (Join-Path $env:LOCALAPPDATA 'Programs\wktui')
)
$ErrorActionPreference = 'Stop'
$Shell = "PowerShell $($PSVersionTable.PSVersion)"

$env:Path = [Environment]::GetEnvironmentVariable('Path', 'Machine') + ';' +
    [Environment]::GetEnvironmentVariable('Path', 'User')
$Found = Get-Command wktui -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $Found) {
    throw "windows-installed ($Shell): wktui is not on the PATH of a new terminal (user PATH: $([Environment]::GetEnvironmentVariable('Path', 'User')))"
}
$Expected = Join-Path $InstallDir 'wktui.exe'
if ($Found.Source -ne $Expected) {
    throw "windows-installed ($Shell): a new terminal finds $($Found.Source), not $Expected"
}
$Said = & wktui --version
if ($LASTEXITCODE -ne 0 -or "$Said" -ne "wktui $Version") {
    throw "windows-installed ($Shell): wktui --version said '$Said' (exit $LASTEXITCODE), expected 'wktui $Version'"
}

wktui completions powershell | Out-String | Invoke-Expression
$Line = 'wktui compl'
$Completions = (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches |
    ForEach-Object { $_.CompletionText }
if ($Completions -notcontains 'completions') {
    throw "windows-installed ($Shell): '$Line' completes to '$($Completions -join ', ')', not 'completions'"
}
Write-Host "windows-installed ($Shell): a new terminal runs $Said from $Expected; '$Line' completes to 'completions'"
