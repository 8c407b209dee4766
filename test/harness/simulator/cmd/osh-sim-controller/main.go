// osh-sim-controller releases the simulator's openstack-helm pods when their
// kubernetes-entrypoint waits are met, as the real entrypoint would, and records what happened.
//
// For each pod with a kubernetes-entrypoint init container, a status.hostIP (set by kwok's
// admit stage) and no osh-sim.dev/deps-ready annotation, it checks every DEPENDENCY_* wait
// against the cluster; once all are met it annotates the pod with deps-ready, ready-at and, for
// Job pods, done-at, which kwok's stages wait for (and osh-sim.dev/fail, copied from the pod's Job,
// for a pod that is to fail). It writes $DIR/timeline.jsonl (pod events)
// and $DIR/stalls.json (pods gated longer than --stall-seconds, with their unmet waits).
// The kwok stages it works with: test/harness/manifests/kwok-stages.yaml.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"openstack-helm-pulumi/harness/simulator/internal/policy"
)

func main() {
	stallDefault := 60.0
	if v := os.Getenv("OSH_SIM_STALL_S"); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "osh-sim-controller: OSH_SIM_STALL_S=%q: %v\n", v, err)
			os.Exit(2)
		}
		stallDefault = s
	}
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the simulator (default $KUBECONFIG)")
	dir := flag.String("dir", os.Getenv("OSH_SIM_DIR"), "where timeline.jsonl and stalls.json go, and run/started-at is read (default $OSH_SIM_DIR)")
	policyPath := flag.String("policy", "", "duration policy JSON (default: built in, the same as policy.json)")
	stallSeconds := flag.Float64("stall-seconds", stallDefault, "report pods gated longer than this many seconds ($OSH_SIM_STALL_S sets the default)")
	implicit := flag.Bool("implicit", false, "add the waits the charts only imply (the policy's \"implicit\" list)")
	once := flag.Bool("once", false, "evaluate once, print the stall report on stdout and exit")
	flag.Parse()
	log.SetPrefix("osh-sim-controller: ")
	log.SetFlags(log.Ltime)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, *kubeconfig, *dir, *policyPath, *stallSeconds, *implicit, *once); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, dir, policyPath string, stallSeconds float64, implicit, once bool) error {
	started := time.Now()
	pol, err := policy.Load(policyPath)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 50, 100           // a release wave patches many pods at once
	cfg.WarningHandler = rest.NoWarnings{} // "v1 Endpoints is deprecated": read on purpose, as the entrypoint does
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}

	var tl *timeline
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		tl, err = openTimeline(filepath.Join(dir, "timeline.jsonl"), simStart(filepath.Join(dir, "run", "started-at"), started))
	} else {
		tl, err = openTimeline("", started)
	}
	if err != nil {
		return err
	}
	defer tl.close()

	factory := informers.NewSharedInformerFactory(client, 0) // no resync: the 1 s sweep re-evaluates
	c := newController(client, factory, pol, tl, crClients(cfg), time.Now)
	c.implicit = implicit
	c.stallAfter = time.Duration(stallSeconds * float64(time.Second))
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok && ctx.Err() == nil {
			return fmt.Errorf("cache of %v did not sync", typ)
		}
	}
	if ctx.Err() != nil { // stopped before the caches synced
		return nil
	}
	log.Printf("watching (time scale %g, stalls after %gs)", pol.TimeScale, stallSeconds)

	if once {
		c.pass(ctx)
		s := c.stalls()
		if dir != "" {
			if err := writeStalls(dir, s); err != nil {
				return err
			}
		}
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	c.loop(ctx, dir)
	log.Print("stopped")
	return nil
}

func crClients(cfg *rest.Config) func() (discovery.DiscoveryInterface, dynamic.Interface, error) {
	return func() (discovery.DiscoveryInterface, dynamic.Interface, error) {
		d, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			return nil, nil, err
		}
		dy, err := dynamic.NewForConfig(cfg)
		return d, dy, err
	}
}
