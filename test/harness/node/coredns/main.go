// Command coredns is CoreDNS with only the plugins a cluster's DNS uses: those of the Corefile
// kubeadm installs (errors, health, ready, kubernetes, prometheus, forward, cache, loop, reload,
// loadbalance) plus bind, hosts and log. Upstream's main links every plugin in, with the cloud
// providers' SDKs (route53, azure, clouddns); this one builds in a fraction of the time.
// A Corefile naming any other plugin is refused at start ("missing a plugin?").
// Built by test/harness/node/build.sh against the github.com/coredns/coredns pinned in
// test/harness/versions.sh.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() { coremain.Run() }
