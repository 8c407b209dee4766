package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"openstack-helm-pulumi/harness/simulator/internal/policy"
)

const ns = "openstack"

var t0 = time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)

// entrypointPod is a pod as helm-toolkit renders it, admitted by kwok on node k1.
func entrypointPod(name, uid string, owner metav1.OwnerReference, lbls map[string]string, env ...corev1.EnvVar) *corev1.Pod {
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(uid), Labels: lbls,
		CreationTimestamp: metav1.NewTime(t0), OwnerReferences: []metav1.OwnerReference{owner}}}
	p.Spec.NodeName = "k1"
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Command: []string{"kubernetes-entrypoint"},
		Env: append([]corev1.EnvVar{{Name: "POD_NAME", ValueFrom: field("metadata.name")},
			{Name: "NAMESPACE", ValueFrom: field("metadata.namespace")}}, env...)}}
	p.Status.Phase = corev1.PodPending
	p.Status.HostIP = "192.0.2.11"
	return p
}

func ownedBy(kind, name string) metav1.OwnerReference {
	return metav1.OwnerReference{Kind: kind, Name: name, Controller: ptr(true)}
}

func ptr[T any](v T) *T { return &v }

type fixture struct {
	c      *controller
	client *fake.Clientset
	clock  atomic.Int64 // UnixNano; the pod handlers read it from the informer's goroutine
	dir    string
}

func (f *fixture) now() time.Time     { return time.Unix(0, f.clock.Load()).UTC() }
func (f *fixture) setNow(t time.Time) { f.clock.Store(t.UnixNano()) }

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	t.Setenv(policy.TimeScaleEnv, "")
	f := &fixture{dir: t.TempDir()}
	f.setNow(t0.Add(10 * time.Second))
	f.client = fake.NewClientset(objs...)
	pol, err := policy.Load("")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := openTimeline(filepath.Join(f.dir, "timeline.jsonl"), t0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tl.close)
	factory := informers.NewSharedInformerFactory(f.client, 0)
	noCR := func() (discovery.DiscoveryInterface, dynamic.Interface, error) {
		return nil, nil, errors.New("no custom resources here")
	}
	f.c = newController(f.client, factory, pol, tl, noCR, f.now)
	f.c.stallAfter = 60 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	factory.Start(ctx.Done())
	t.Cleanup(func() { cancel(); factory.Shutdown() }) // Shutdown waits for the stop
	factory.WaitForCacheSync(ctx.Done())
	return f
}

// settle waits until the pod informer shows what the fake API server holds.
func (f *fixture) settle(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("informers did not catch up")
		}
	}
}

func (f *fixture) annotations(t *testing.T, name string) map[string]string {
	t.Helper()
	p, err := f.client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Annotations
}

func (f *fixture) events(t *testing.T) []event {
	t.Helper()
	fh, err := os.Open(filepath.Join(f.dir, "timeline.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []event
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("timeline line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestReleasesPodsWhenWaitsAreMet(t *testing.T) {
	api := entrypointPod("keystone-api-5d9f-abcde", "u-api", ownedBy("ReplicaSet", "keystone-api-5d9f"),
		map[string]string{"pod-template-hash": "5d9f"},
		corev1.EnvVar{Name: "DEPENDENCY_SERVICE", Value: "mariadb"},
		corev1.EnvVar{Name: "DEPENDENCY_JOBS", Value: "keystone-db-sync"})
	sync := entrypointPod("keystone-db-sync-x1", "u-sync", ownedBy("Job", "keystone-db-sync"), nil) // waits for nothing here
	unadmitted := entrypointPod("keystone-fernet-setup-x1", "u-fernet", ownedBy("Job", "keystone-fernet-setup"), nil)
	unadmitted.Status.HostIP = ""
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "coredns-1", Namespace: "kube-system", UID: "u-dns"}}
	plain.Status.HostIP = "192.0.2.11"
	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "mariadb-x", Namespace: ns,
		Labels: map[string]string{discoveryv1.LabelServiceName: "mariadb"}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}}}}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "keystone-db-sync", Namespace: ns}}
	f := newFixture(t, api, sync, unadmitted, plain, slice, job)
	ctx := context.Background()

	f.c.pass(ctx)
	a := f.annotations(t, sync.Name)
	wantReady := f.now().Add(2*time.Second + 5*time.Second)
	if a[annDepsReady] != "true" || a[annReadyAt] != wantReady.Format(time.RFC3339Nano) ||
		a[annDoneAt] != wantReady.Add(20*time.Second).Format(time.RFC3339Nano) {
		t.Errorf("db-sync pod annotations = %v", a)
	}
	if len(f.annotations(t, api.Name)) != 0 || len(f.annotations(t, unadmitted.Name)) != 0 {
		t.Error("a pod was released too early")
	}
	f.settle(t, func() bool { p, _ := f.c.pods.Pods(ns).Get(sync.Name); return p.Annotations[annDepsReady] == "true" })

	// After the stall threshold, the API pod is reported with both waits and why.
	f.setNow(t0.Add(61 * time.Second))
	s := f.c.stalls()
	if len(s) != 1 || s[0].Pod != api.Name || s[0].Node != "k1" || s[0].WaitingSeconds != 61 || len(s[0].WaitingFor) != 2 {
		t.Fatalf("stalls = %+v", s)
	}
	if w := s[0].WaitingFor; w[0].Why != "no ready endpoint" || w[1].Why != "not succeeded" || w[1].Name != "keystone-db-sync" {
		t.Errorf("waitingFor = %+v", w)
	}
	if err := writeStalls(f.dir, s); err != nil {
		t.Fatal(err)
	}
	var onDisk []map[string]any
	b, _ := os.ReadFile(filepath.Join(f.dir, "stalls.json"))
	if err := json.Unmarshal(b, &onDisk); err != nil || len(onDisk) != 1 || onDisk[0]["waitingSeconds"] != 61.0 {
		t.Errorf("stalls.json = %s (%v)", b, err)
	}

	// The endpoint turns ready: latched even after it goes away again.
	slice.Endpoints[0].Conditions.Ready = ptr(true)
	if _, err := f.client.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.settle(t, func() bool { r := f.c.view.EndpointSlices(ns, "mariadb")[0].Endpoints[0].Conditions.Ready; return *r })
	f.c.pass(ctx)
	if err := f.client.DiscoveryV1().EndpointSlices(ns).Delete(ctx, slice.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.settle(t, func() bool { return len(f.c.view.EndpointSlices(ns, "mariadb")) == 0 })

	f.setNow(t0.Add(70 * time.Second))
	job.Status.Succeeded = 1
	if _, err := f.client.BatchV1().Jobs(ns).UpdateStatus(ctx, job, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.settle(t, func() bool { j := f.c.view.Job(ns, job.Name); return j != nil && j.Status.Succeeded == 1 })
	f.c.pass(ctx)
	a = f.annotations(t, api.Name)
	if a[annDepsReady] != "true" || a[annReadyAt] != f.now().Add(7*time.Second).Format(time.RFC3339Nano) || a[annDoneAt] != "" {
		t.Errorf("api pod annotations = %v", a)
	}
	f.settle(t, func() bool { p, _ := f.c.pods.Pods(ns).Get(api.Name); return p.Annotations[annDepsReady] == "true" })
	if s := f.c.stalls(); len(s) != 0 {
		t.Errorf("stalls after release = %+v", s)
	}

	// kwok makes the pods Ready, and the Job pod Succeeded.
	for _, name := range []string{api.Name, sync.Name} {
		p, _ := f.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(f.now())}}
		if name == sync.Name {
			p.Status.Phase = corev1.PodSucceeded
		}
		if _, err := f.client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.settle(t, func() bool { return len(f.events(t)) >= 7 })

	var got []string
	for _, e := range f.events(t) {
		got = append(got, strings.Join([]string{e.Pod, e.Owner, e.Event, e.LastDependency}, " "))
		if e.Event == "deps-met" && e.Pod == api.Name && e.T != 70 {
			t.Errorf("api deps-met at t=%v, want 70", e.T)
		}
	}
	want := map[string]bool{
		"keystone-api-5d9f-abcde Deployment/keystone-api created ":                                true,
		"keystone-db-sync-x1 Job/keystone-db-sync created ":                                       true,
		"keystone-fernet-setup-x1 Job/keystone-fernet-setup created ":                             true,
		"keystone-db-sync-x1 Job/keystone-db-sync deps-met ":                                      true,
		"keystone-api-5d9f-abcde Deployment/keystone-api deps-met job openstack/keystone-db-sync": true,
		"keystone-api-5d9f-abcde Deployment/keystone-api ready ":                                  true,
		"keystone-db-sync-x1 Job/keystone-db-sync ready ":                                         true,
		"keystone-db-sync-x1 Job/keystone-db-sync succeeded ":                                     true,
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected or repeated timeline event %q", g)
		}
		delete(want, g)
	}
	for w := range want {
		t.Errorf("missing timeline event %q", w)
	}
}

func TestImplicitWait(t *testing.T) {
	rabbit := entrypointPod("keystone-rabbit-init-x1", "u-ri", ownedBy("Job", "keystone-rabbit-init"), nil)
	f := newFixture(t, rabbit)
	f.c.implicit = true
	f.c.pass(context.Background())
	if len(f.annotations(t, rabbit.Name)) != 0 {
		t.Fatal("keystone-rabbit-init released without RabbitMQ")
	}
	f.setNow(t0.Add(2 * time.Minute))
	s := f.c.stalls()
	if len(s) != 1 || len(s[0].WaitingFor) != 1 || s[0].WaitingFor[0].Name != "rabbitmq" || s[0].WaitingFor[0].Namespace != ns {
		t.Errorf("stalls = %+v", s)
	}
}

func TestOwnerOf(t *testing.T) {
	cases := []struct {
		pod  *corev1.Pod
		want string
	}{
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", OwnerReferences: []metav1.OwnerReference{ownedBy("ReplicaSet", "glance-api-7c9")},
			Labels: map[string]string{"pod-template-hash": "7c9"}}}, "Deployment/glance-api"},
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", OwnerReferences: []metav1.OwnerReference{ownedBy("ReplicaSet", "bare-rs")}}}, "ReplicaSet/bare-rs"},
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", OwnerReferences: []metav1.OwnerReference{ownedBy("DaemonSet", "openvswitch")}}}, "DaemonSet/openvswitch"},
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", OwnerReferences: []metav1.OwnerReference{ownedBy("StatefulSet", "mariadb-server")}}}, "StatefulSet/mariadb-server"},
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "lonely"}}, "Pod/lonely"},
	}
	for _, c := range cases {
		if k, n := ownerOf(c.pod); k+"/"+n != c.want {
			t.Errorf("ownerOf = %s/%s, want %s", k, n, c.want)
		}
	}
}

func TestTimelineOncePerUIDAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	p := entrypointPod("p", "u1", ownedBy("Job", "j"), nil)
	for range 2 { // the second round is a restarted controller
		tl, err := openTimeline(path, t0)
		if err != nil {
			t.Fatal(err)
		}
		tl.observe(p, t0.Add(time.Second))
		tl.observe(p, t0.Add(2*time.Second))
		tl.close()
	}
	b, _ := os.ReadFile(path)
	if lines := strings.Count(string(b), "\n"); lines != 1 || !strings.Contains(string(b), `"event":"created","t":1`) {
		t.Errorf("timeline = %s", b)
	}
	// A pod created before the controller looked is timed by its own timestamp.
	if got := stamp(t0.Add(time.Minute), t0); !got.Equal(t0) {
		t.Errorf("stamp = %v", got)
	}
}

func TestSimStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "started-at")
	if got := simStart(path, t0); !got.Equal(t0) {
		t.Errorf("without the file: %v", got)
	}
	want := time.Date(2026, 8, 20, 11, 59, 0, 123456789, time.UTC)
	os.WriteFile(path, []byte(want.Format(time.RFC3339Nano)+"\n"), 0o644)
	if got := simStart(path, t0); !got.Equal(want) {
		t.Errorf("from the file: %v, want %v", got, want)
	}
}

func TestFailingJobPodsFailAtOnce(t *testing.T) {
	failing := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "glance-db-sync", Namespace: ns,
		Annotations: map[string]string{annFail: "ERROR glance.db: no such table\nTraceback ..."}}}
	fine := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "glance-db-init", Namespace: ns}}
	sync := entrypointPod("glance-db-sync-x1", "u-sync", ownedBy("Job", failing.Name), nil)
	initPod := entrypointPod("glance-db-init-x1", "u-init", ownedBy("Job", fine.Name), nil)
	// A pod that carries the annotation itself fails with its own text.
	own := entrypointPod("glance-bootstrap-x1", "u-boot", ownedBy("Job", "glance-bootstrap"), nil)
	own.Annotations = map[string]string{annFail: "own words"}
	// Only Job pods fail.
	api := entrypointPod("glance-api-7c9-abcde", "u-api", ownedBy("ReplicaSet", "glance-api-7c9"),
		map[string]string{"pod-template-hash": "7c9"})
	api.Annotations = map[string]string{annFail: "ignored"}
	f := newFixture(t, failing, fine, sync, initPod, own, api)
	f.settle(t, func() bool { return f.c.view.Job(ns, failing.Name) != nil && f.c.view.Job(ns, fine.Name) != nil })
	ctx := context.Background()

	f.c.pass(ctx)
	ready := f.now().Add(2*time.Second + 5*time.Second).Format(time.RFC3339Nano)
	a := f.annotations(t, sync.Name)
	if a[annFail] != failing.Annotations[annFail] || a[annReadyAt] != ready || a[annDoneAt] != ready {
		t.Errorf("failing pod annotations = %v", a)
	}
	a = f.annotations(t, initPod.Name)
	if _, ok := a[annFail]; ok || a[annDoneAt] != f.now().Add(7*time.Second+5*time.Second).Format(time.RFC3339Nano) {
		t.Errorf("passing pod annotations = %v", a)
	}
	if a = f.annotations(t, own.Name); a[annFail] != "own words" || a[annDoneAt] != ready {
		t.Errorf("pod with its own annotation = %v", a)
	}
	if a = f.annotations(t, api.Name); a[annDoneAt] != "" || a[annFail] != "ignored" {
		t.Errorf("deployment pod = %v", a)
	}

	// kwok's fail stage: the timeline records the failure once, at the container's finish.
	p, _ := f.client.CoreV1().Pods(ns).Get(ctx, sync.Name, metav1.GetOptions{})
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "glance-db-sync", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Message: a[annFail], FinishedAt: metav1.NewTime(f.now())}}}}
	if _, err := f.client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	failedAt := func() float64 {
		for _, e := range f.events(t) {
			if e.Pod == sync.Name && e.Event == "failed" {
				return e.T
			}
		}
		return -1
	}
	f.settle(t, func() bool { return failedAt() >= 0 })
	if at := failedAt(); at != 10 {
		t.Errorf("failed at t=%v, want 10", at)
	}
	f.c.pass(ctx) // a failed pod is not gated: nothing more happens to it
	if s := f.c.stalls(); len(s) != 0 {
		t.Errorf("stalls = %+v", s)
	}
}
