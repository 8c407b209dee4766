# shellcheck shell=bash
# The environment every pulumi command of the harness runs in. Sourced, not executed.
# The engine must never reach for the network: no update check, no plugin download (a missing
# plugin is an immediate "plugin ... not installed" error), no plugins picked up from PATH at
# whatever version; plugins come from this cache only, installed by toolchain.sh.
_osh_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$_osh_here/versions.sh"
export PATH="$OSH_CACHE/bin:$PATH"
export PULUMI_HOME="$OSH_CACHE/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
unset _osh_here
