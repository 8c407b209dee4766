package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"openstack-helm-pulumi/harness/simulator/internal/kube"
)

const ns = "openstack"

// harness runs a waiter against a fake API server; step(n) runs during the n-th sleep (from 1),
// which is where the cluster changes between two polls.
type harness struct {
	t      *testing.T
	client *fake.Clientset
	sleeps int
	step   func(n int)
	logs   []string
	apiErr []string
	clock  time.Time
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	return &harness{t: t, client: fake.NewClientset(objs...), clock: time.Unix(1_000_000, 0)}
}

func (h *harness) waiter() *waiter {
	return &waiter{
		view: &kube.Live{Client: h.client, OnError: func(what string, err error) {
			h.apiErr = append(h.apiErr, what+": "+err.Error())
		}},
		interval: 2 * time.Second,
		sleep: func(ctx context.Context, d time.Duration) error {
			if d != 2*time.Second {
				h.t.Fatalf("slept %v, want the 2 s interval", d)
			}
			h.sleeps++
			h.clock = h.clock.Add(d)
			if h.sleeps > 50 {
				return errors.New("still waiting after 50 polls")
			}
			if h.step != nil {
				h.step(h.sleeps)
			}
			return ctx.Err()
		},
		now:  func() time.Time { return h.clock },
		stat: func(p string) error { _, err := os.Stat(p); return err },
		logf: func(f string, a ...any) { h.logs = append(h.logs, fmt.Sprintf(f, a...)) },
	}
}

func (h *harness) run(env map[string]string) error {
	return h.waiter().wait(context.Background(), env)
}

func (h *harness) logged(sub string) int {
	n := 0
	for _, l := range h.logs {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func readySlice(svc string, ready bool) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc + "-abc", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	}
}

func job(name string, succeeded int32, labels map[string]string) *batchv1.Job {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}, Status: batchv1.JobStatus{Succeeded: succeeded}}
}

func pod(name, hostIP string, ready bool, labels map[string]string) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Status: corev1.PodStatus{HostIP: hostIP, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
}

// A Service wait ends at the first poll that sees a ready endpoint, plus one interval.
func TestServiceAndJobWait(t *testing.T) {
	h := newHarness(t, job("db-init", 1, nil), readySlice("mariadb", false))
	h.step = func(n int) {
		if n == 3 {
			if _, err := h.client.DiscoveryV1().EndpointSlices(ns).Update(context.Background(), readySlice("mariadb", true), metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := h.run(map[string]string{"NAMESPACE": ns, "POD_NAME": "keystone-api-0", "DEPENDENCY_SERVICE": "mariadb", "DEPENDENCY_JOBS": "db-init"})
	if err != nil {
		t.Fatal(err)
	}
	if h.sleeps != 4 {
		t.Errorf("slept %d times, want 4 (3 polls without a ready endpoint, then the one after the last check)", h.sleeps)
	}
	if h.logged("dependency job openstack/db-init is resolved") != 1 || h.logged("dependency service openstack/mariadb is resolved") != 1 {
		t.Errorf("logs: %q", h.logs)
	}
	if h.logged("waiting for service openstack/mariadb (no ready endpoint)") != 1 {
		t.Errorf("want one 'waiting for' line in the first 30 s; logs: %q", h.logs)
	}
}

// A met dependency is never checked again: the Job may go away (hook Jobs are deleted).
func TestMetDependencyLatches(t *testing.T) {
	h := newHarness(t, job("db-sync-1", 1, map[string]string{"app": "db-sync"}))
	h.step = func(n int) {
		switch n {
		case 1:
			if err := h.client.BatchV1().Jobs(ns).Delete(context.Background(), "db-sync-1", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		case 2:
			if _, err := h.client.DiscoveryV1().EndpointSlices(ns).Create(context.Background(), readySlice("rabbitmq", true), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := h.run(map[string]string{"NAMESPACE": ns, "DEPENDENCY_JOBS_JSON": `[{"labels":{"app":"db-sync"}}]`, "DEPENDENCY_SERVICE": "rabbitmq"})
	if err != nil {
		t.Fatal(err)
	}
	if h.sleeps != 3 {
		t.Errorf("slept %d times, want 3; logs %q", h.sleeps, h.logs)
	}
}

// requireSameNode looks only at pods on my host; another host's Ready pod does not count.
func TestPodOnMyNode(t *testing.T) {
	sel := map[string]string{"application": "openvswitch"}
	h := newHarness(t, pod("me", "192.0.2.10", false, nil), pod("ovs-a", "192.0.2.11", true, sel), pod("ovs-b", "192.0.2.10", false, sel))
	h.step = func(n int) {
		if n == 2 {
			if _, err := h.client.CoreV1().Pods(ns).UpdateStatus(context.Background(), pod("ovs-b", "192.0.2.10", true, sel), metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := h.run(map[string]string{"NAMESPACE": ns, "POD_NAME": "me", "DEPENDENCY_POD_JSON": `[{"labels":{"application":"openvswitch"},"requireSameNode":true}]`})
	if err != nil {
		t.Fatal(err)
	}
	if h.sleeps != 3 {
		t.Errorf("slept %d times, want 3; logs %q", h.sleeps, h.logs)
	}
	if h.logged("no Ready pod on my node") != 1 {
		t.Errorf("logs: %q", h.logs)
	}
}

// An API error is reported and waited through; v1 Endpoints are the fallback when no
// EndpointSlice can be read.
func TestAPIErrorAndEndpointsFallback(t *testing.T) {
	h := newHarness(t)
	h.client.PrependReactor("list", "endpointslices", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", errors.New("RBAC"))
	})
	h.step = func(n int) {
		if n == 1 {
			ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "memcached", Namespace: ns}, //nolint:staticcheck
				Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.244.0.9"}}}}} //nolint:staticcheck
			if _, err := h.client.CoreV1().Endpoints(ns).Create(context.Background(), ep, metav1.CreateOptions{}); err != nil { //nolint:staticcheck
				t.Fatal(err)
			}
		}
	}
	if err := h.run(map[string]string{"NAMESPACE": ns, "DEPENDENCY_SERVICE": "memcached"}); err != nil {
		t.Fatal(err)
	}
	if h.sleeps != 2 {
		t.Errorf("slept %d times, want 2", h.sleeps)
	}
	if len(h.apiErr) == 0 || !strings.Contains(h.apiErr[0], "list endpointslices openstack/kubernetes.io/service-name=memcached") {
		t.Errorf("API errors heard: %q", h.apiErr)
	}
	for _, e := range h.apiErr {
		if strings.Contains(e, "get endpoints") {
			t.Errorf("a missing Endpoints is not an error: %q", e)
		}
	}
}

func TestSocketWait(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "ovs.sock")
	h := newHarness(t)
	h.step = func(n int) {
		if n == 2 {
			if err := os.WriteFile(sock, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := h.run(map[string]string{"NAMESPACE": ns, "DEPENDENCY_SOCKET": sock + ","}); err != nil {
		t.Fatal(err)
	}
	if h.sleeps != 3 || h.logged("socket "+sock+" is resolved") != 1 {
		t.Errorf("slept %d times, logs %q", h.sleeps, h.logs)
	}
}

// Nothing to wait for: one poll, one interval.
func TestNothingToWaitFor(t *testing.T) {
	h := newHarness(t)
	if err := h.run(map[string]string{"NAMESPACE": ns}); err != nil {
		t.Fatal(err)
	}
	if h.sleeps != 1 {
		t.Errorf("slept %d times, want 1", h.sleeps)
	}
}

func TestStopsWithContext(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	h.step = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	err := h.waiter().wait(ctx, map[string]string{"NAMESPACE": ns, "DEPENDENCY_SERVICE": "never"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// Parse's notes (entries the entrypoint drops) are logged as warnings.
func TestNotesLogged(t *testing.T) {
	h := newHarness(t)
	if err := h.run(map[string]string{"NAMESPACE": ns, "DEPENDENCY_SERVICE": "a:b:c"}); err != nil {
		t.Fatal(err)
	}
	if h.logged(`warning: DEPENDENCY_SERVICE entry "a:b:c" dropped`) != 1 {
		t.Errorf("logs: %q", h.logs)
	}
}

func TestCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"echo done", []string{"echo", "done"}},
		{"/tmp/start.sh  x", []string{"/tmp/start.sh", "", "x"}}, // single spaces, as upstream splits
	} {
		if got := command(map[string]string{"COMMAND": c.in}); !reflect.DeepEqual(got, c.want) {
			t.Errorf("COMMAND %q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEnviron(t *testing.T) {
	got := environ([]string{"A=1", "B=x=y", "A=2", "broken"})
	if want := map[string]string{"A": "2", "B": "x=y"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Settings it cannot honour stop it before it talks to any API server.
func TestPrepareRefuses(t *testing.T) {
	for env, want := range map[string]string{
		"DEPENDENCY_CONFIG=/etc/x.conf": "DEPENDENCY_CONFIG is set",
		"ENTRYPOINT_INTERVAL=soon":      `ENTRYPOINT_INTERVAL="soon"`,
		"ENTRYPOINT_INTERVAL=-1s":       `ENTRYPOINT_INTERVAL="-1s"`,
	} {
		_, err := prepare(context.Background(), environ([]string{env, "KUBECONFIG=/nonexistent"}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", env, err, want)
		}
	}
}

func TestOnceEach(t *testing.T) {
	var lines []string
	f := onceEach(func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) })
	f("list endpointslices openstack/x", errors.New("forbidden"))
	f("list endpointslices openstack/x", errors.New("forbidden"))
	f("get job openstack/y", errors.New("forbidden"))
	want := []string{"warning: list endpointslices openstack/x: forbidden (logged once)", "warning: get job openstack/y: forbidden (logged once)"}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("got %q, want %q", lines, want)
	}
}
