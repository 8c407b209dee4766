// kubernetes-entrypoint is the init container openstack-helm's charts run before their services
// and Jobs: it waits until every DEPENDENCY_* of its environment is met, then runs COMMAND. The
// waits are read and decided by internal/deps, the implementation the simulator's controller
// uses for kwok nodes, so a real node and the simulator release a pod under the same rules.
//
// Environment (as helm-toolkit renders it): POD_NAME, NAMESPACE, DEPENDENCY_SERVICE,
// DEPENDENCY_JOBS / DEPENDENCY_JOBS_JSON, DEPENDENCY_POD_JSON, DEPENDENCY_DAEMONSET,
// DEPENDENCY_CONTAINER, DEPENDENCY_CUSTOM_RESOURCE, DEPENDENCY_SOCKET (paths that must exist)
// and COMMAND (split on single spaces; empty: exit 0 once the waits are met). DEPENDENCY_CONFIG
// (templated config files) is not implemented and is refused. The API server is the pod's own
// (its service account), or $KUBECONFIG's when that is set.
// Every dependency is checked every 2 s ($ENTRYPOINT_INTERVAL, a Go duration, changes it) and,
// once met, never again; the entrypoint sleeps one interval after the last check, as upstream's does.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"openstack-helm-pulumi/harness/simulator/internal/kube"
)

func main() {
	log.SetPrefix("kubernetes-entrypoint: ")
	log.SetFlags(log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	env := environ(os.Environ())
	argv, err := prepare(ctx, env)
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
	if len(argv) == 0 {
		log.Print("COMMAND is empty: done")
		return
	}
	bin, err := exec.LookPath(argv[0])
	if err == nil {
		err = syscall.Exec(bin, argv, os.Environ())
	}
	log.Printf("COMMAND %q: %v", argv, err)
	os.Exit(1)
}

// prepare waits for env's dependencies against the cluster and returns the command to run.
func prepare(ctx context.Context, env map[string]string) ([]string, error) {
	if env["DEPENDENCY_CONFIG"] != "" {
		return nil, errors.New("DEPENDENCY_CONFIG is set: templated config files are not implemented here")
	}
	interval := 2 * time.Second
	if s := env["ENTRYPOINT_INTERVAL"]; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("ENTRYPOINT_INTERVAL=%q: want a positive Go duration such as 2s", s)
		}
		interval = d
	}
	cfg, err := restConfig(env["KUBECONFIG"])
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	w := &waiter{
		view:     &kube.Live{Client: client, CRs: kube.NewCRReader(crClients(cfg), time.Now), OnError: onceEach(log.Printf)},
		interval: interval,
		sleep:    sleepCtx,
		now:      time.Now,
		stat:     func(p string) error { _, err := os.Stat(p); return err },
		logf:     log.Printf,
	}
	if err := w.wait(ctx, env); err != nil {
		return nil, err
	}
	return command(env), nil
}

// onceEach logs each distinct API error once: the charts' entrypoint Roles may not grant a read
// (EndpointSlices, with the Endpoints fallback), which would otherwise be logged every poll.
func onceEach(logf func(string, ...any)) func(string, error) {
	seen := map[string]bool{}
	return func(what string, err error) {
		if k := what + ": " + err.Error(); !seen[k] {
			seen[k] = true
			logf("warning: %s (logged once)", k)
		}
	}
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("API server config: %v", err)
	}
	cfg.WarningHandler = rest.NoWarnings{} // "v1 Endpoints is deprecated": read on purpose, as upstream does
	cfg.UserAgent = "kubernetes-entrypoint"
	return cfg, nil
}

func crClients(cfg *rest.Config) kube.Clients {
	return func() (discovery.DiscoveryInterface, dynamic.Interface, error) {
		d, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			return nil, nil, err
		}
		dy, err := dynamic.NewForConfig(cfg)
		return d, dy, err
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// environ turns KEY=VALUE pairs into a map; a later duplicate wins.
func environ(kv []string) map[string]string {
	env := make(map[string]string, len(kv))
	for _, e := range kv {
		if k, v, ok := strings.Cut(e, "="); ok {
			env[k] = v
		}
	}
	return env
}

// command is COMMAND split on single spaces, as upstream splits it (no quoting; "" is no command).
func command(env map[string]string) []string {
	c := env["COMMAND"]
	if c == "" {
		return nil
	}
	return strings.Split(c, " ")
}

// sockets are DEPENDENCY_SOCKET's paths; empty entries are skipped.
func sockets(env map[string]string) []string {
	var out []string
	for _, p := range strings.Split(env["DEPENDENCY_SOCKET"], ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
