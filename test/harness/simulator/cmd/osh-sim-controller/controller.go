package main

import (
	"context"
	"encoding/json"
	"log"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"openstack-helm-pulumi/harness/simulator/internal/deps"
	"openstack-helm-pulumi/harness/simulator/internal/kube"
	"openstack-helm-pulumi/harness/simulator/internal/policy"
)

// The annotations the kwok stages gate on (test/harness/manifests/kwok-stages.yaml).
const (
	annDepsReady = "osh-sim.dev/deps-ready"
	annReadyAt   = "osh-sim.dev/ready-at"
	annDoneAt    = "osh-sim.dev/done-at"
	// annFail on a Job (the charts' `annotations.job.<job>`) or on its pod: the pod fails as soon
	// as it runs, exit code 1, with the annotation's text as its container's termination message
	// (what a kubelet reports of a container that prints it and exits, under
	// terminationMessagePolicy FallbackToLogsOnError). The controller copies it onto the pod, where
	// the fail stage reads it.
	annFail = "osh-sim.dev/fail"
)

// entrypointSleep: the entrypoint sleeps this long after its last successful check.
const entrypointSleep = 2 * time.Second

type controller struct {
	client     kubernetes.Interface
	pods       corelisters.PodLister
	view       *clusterView
	policy     *policy.Policy
	implicit   bool
	timeline   *timeline
	stallAfter time.Duration
	now        func() time.Time
	kick       chan struct{}
	trackers   map[types.UID]*deps.Tracker
	released   map[types.UID]bool // patched; the informer has not shown the annotation yet
}

// newController wires the informers it needs into factory; start the factory afterwards.
// crClients makes the custom-resource clients when a pod first names one.
func newController(client kubernetes.Interface, factory informers.SharedInformerFactory, pol *policy.Policy, tl *timeline,
	crClients func() (discovery.DiscoveryInterface, dynamic.Interface, error), now func() time.Time) *controller {
	c := &controller{client: client, policy: pol, timeline: tl, now: now, kick: make(chan struct{}, 1),
		trackers: map[types.UID]*deps.Tracker{}, released: map[types.UID]bool{}}
	podInf := factory.Core().V1().Pods()
	c.pods = podInf.Lister()
	c.view = &clusterView{
		pods:      c.pods,
		jobs:      factory.Batch().V1().Jobs().Lister(),
		slices:    factory.Discovery().V1().EndpointSlices().Lister(),
		endpoints: factory.Core().V1().Endpoints().Lister(), //nolint:staticcheck
		daemons:   factory.Apps().V1().DaemonSets().Lister(),
		crs:       kube.NewCRReader(crClients, now),
	}
	kick := func() {
		select {
		case c.kick <- struct{}{}:
		default: // a pass is already due
		}
	}
	others := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { kick() },
		UpdateFunc: func(any, any) { kick() },
		DeleteFunc: func(any) { kick() },
	}
	// Timeline events are taken here, from each update, so that a pod deleted soon after it
	// succeeds (hook Jobs) still has them.
	onPod := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok && deps.HasEntrypoint(p) {
			c.timeline.observe(p, c.now())
		}
		kick()
	}
	handlers := map[cache.SharedIndexInformer]cache.ResourceEventHandler{
		podInf.Informer(): cache.ResourceEventHandlerFuncs{
			AddFunc: onPod, UpdateFunc: func(_, obj any) { onPod(obj) }, DeleteFunc: func(any) { kick() },
		},
		factory.Batch().V1().Jobs().Informer():               others,
		factory.Discovery().V1().EndpointSlices().Informer(): others,
		factory.Core().V1().Endpoints().Informer():           others, //nolint:staticcheck
		factory.Apps().V1().DaemonSets().Informer():          others,
	}
	for inf, h := range handlers {
		if _, err := inf.AddEventHandler(h); err != nil {
			log.Fatalf("informer handler: %v", err) // only fails on a stopped informer
		}
	}
	return c
}

// gated: an entrypoint pod whose init containers would be checking their waits now.
func gated(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.HostIP != "" && p.Annotations[annDepsReady] != "true" &&
		p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && deps.HasEntrypoint(p)
}

func (c *controller) gatedPods() []*corev1.Pod {
	all, _ := c.pods.List(labels.Everything())
	var out []*corev1.Pod
	for _, p := range all {
		if gated(p) {
			out = append(out, p)
		}
	}
	return out
}

func (c *controller) tracker(p *corev1.Pod) *deps.Tracker {
	if t := c.trackers[p.UID]; t != nil {
		return t
	}
	waits := deps.PodWaits(p)
	if c.implicit {
		_, owner := ownerOf(p)
		if env := c.policy.ImplicitEnv(owner); env != nil {
			// What a script waits for comes after the init containers, with their POD_NAME and NAMESPACE.
			e := maps.Clone(env)
			e["POD_NAME"], e["NAMESPACE"] = waits[0].Self.PodName, waits[0].Self.Namespace
			w := deps.Parse(e)
			w.Container = "implicit"
			waits = append(waits, w)
		}
	}
	for _, w := range waits {
		for _, n := range w.Notes {
			log.Printf("%s/%s %s: %s", p.Namespace, p.Name, w.Container, n)
		}
	}
	t := deps.NewTracker(waits)
	c.trackers[p.UID] = t
	return t
}

// pass evaluates every gated pod and releases those whose waits are all met.
func (c *controller) pass(ctx context.Context) {
	now := c.now()
	live := map[types.UID]bool{}
	for _, p := range c.gatedPods() {
		live[p.UID] = true
		if c.released[p.UID] {
			continue
		}
		if t := c.tracker(p); t.Evaluate(c.view, now) {
			c.release(ctx, p, t, now)
		}
	}
	for uid := range c.trackers {
		if !live[uid] {
			delete(c.trackers, uid)
		}
	}
	for uid := range c.released {
		if !live[uid] {
			delete(c.released, uid)
		}
	}
}

// release patches the pod once with absolute times: kwok restarts a pending delay on every pod
// update, so a relative one would never run out.
func (c *controller) release(ctx context.Context, p *corev1.Pod, t *deps.Tracker, now time.Time) {
	metAt := now
	if !t.LastAt.IsZero() {
		metAt = t.LastAt // a failed patch retried later keeps the time the waits were met
	}
	kind, owner := ownerOf(p)
	start, run := c.policy.Durations(owner, kind == "Job", p.Namespace+"/"+p.Name)
	readyAt := metAt.Add(entrypointSleep + start)
	ann := map[string]string{annDepsReady: "true", annReadyAt: readyAt.UTC().Format(time.RFC3339Nano)}
	failure, fails := c.failure(p, kind, owner)
	if kind == "Job" {
		doneAt := readyAt.Add(run)
		if fails {
			doneAt = readyAt // a failing container fails at once
			ann[annFail] = failure
		}
		ann[annDoneAt] = doneAt.UTC().Format(time.RFC3339Nano)
	}
	// The uid makes the patch fail rather than touch a new pod of the same name.
	body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"uid": p.UID, "annotations": ann}})
	if _, err := c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		log.Printf("%s/%s: patch: %v (retrying)", p.Namespace, p.Name, err)
		return
	}
	c.released[p.UID] = true
	delete(c.trackers, p.UID)
	last := ""
	if t.Last != nil {
		last = t.Last.String()
	}
	c.timeline.record(p, "deps-met", metAt, last)
	then := ""
	if fails && kind == "Job" {
		then = ", then fails (" + annFail + ")"
	}
	log.Printf("%s/%s: waits met (last: %s), ready in %.1fs%s", p.Namespace, p.Name, orNone(last), readyAt.Sub(now).Seconds(), then)
}

// failure is the text a Job pod fails with: its own osh-sim.dev/fail annotation, else its Job's
// (a chart puts `annotations.job.<job>` on the Job, which the Job controller does not copy to
// its pods). Pods of other owners never fail.
func (c *controller) failure(p *corev1.Pod, kind, owner string) (string, bool) {
	if kind != "Job" {
		return "", false
	}
	if text, ok := p.Annotations[annFail]; ok {
		return text, true
	}
	if j := c.view.Job(p.Namespace, owner); j != nil {
		if text, ok := j.Annotations[annFail]; ok {
			return text, true
		}
	}
	return "", false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// stall is one entry of stalls.json.
type stall struct {
	Pod            string        `json:"pod"`
	Namespace      string        `json:"namespace"`
	Node           string        `json:"node"`
	WaitingSeconds float64       `json:"waitingSeconds"`
	WaitingFor     []deps.Report `json:"waitingFor"`
}

// stalls lists the gated pods created more than stallAfter ago, with what they still wait for.
func (c *controller) stalls() []stall {
	now := c.now()
	out := []stall{}
	for _, p := range c.gatedPods() {
		waited := now.Sub(p.CreationTimestamp.Time)
		if c.released[p.UID] || waited <= c.stallAfter {
			continue
		}
		out = append(out, stall{Pod: p.Name, Namespace: p.Namespace, Node: p.Spec.NodeName,
			WaitingSeconds: math.Round(waited.Seconds()*10) / 10, WaitingFor: c.tracker(p).Unmet(c.view)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Pod < out[j].Pod
	})
	return out
}

// writeStalls replaces dir/stalls.json atomically, so a reader never sees half a file.
func writeStalls(dir string, s []stall) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".stalls-*.json")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, "stalls.json"))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// loop runs passes on every relevant event and each second, and the stall report every 2 s,
// until ctx ends.
func (c *controller) loop(ctx context.Context, dir string) {
	sweep := time.NewTicker(time.Second)
	report := time.NewTicker(2 * time.Second)
	defer sweep.Stop()
	defer report.Stop()
	saveStalls := func() {
		if dir == "" {
			return
		}
		if err := writeStalls(dir, c.stalls()); err != nil {
			log.Printf("stalls: %v", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			saveStalls()
			return
		case <-c.kick:
			c.pass(ctx)
		case <-sweep.C:
			c.pass(ctx)
		case <-report.C:
			saveStalls()
		}
	}
}
