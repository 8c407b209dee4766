package deps

import (
	"encoding/json"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestTrackerLatches(t *testing.T) {
	self := Self{PodName: "me", Namespace: ns}
	svc := Dependency{Kind: KindService, Namespace: ns, Name: "mariadb"}
	jb := Dependency{Kind: KindJob, Namespace: ns, Name: "keystone-db-sync"}
	tr := NewTracker([]Wait{{Container: "init", Self: self, Deps: []Dependency{svc, jb}}})
	t0 := time.Unix(1000, 0)
	w := &world{pods: []*corev1.Pod{pod("me", "k1", "192.0.2.11", false, nil)}}

	if tr.Evaluate(w, t0) {
		t.Fatal("met with nothing there")
	}
	if tr.Last != nil {
		t.Fatalf("Last = %v, want none", tr.Last)
	}

	// The service becomes ready, then loses its endpoint: it stays met.
	w.slices = []*discoveryv1.EndpointSlice{slice("m1", "mariadb", []string{"10.0.0.1"}, ptr(true))}
	if tr.Evaluate(w, t0.Add(time.Second)) {
		t.Fatal("met without the job")
	}
	w.slices = nil
	if got := tr.MetAt(0, 0); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("service met at %v", got)
	}
	if tr.Last.String() != svc.String() {
		t.Errorf("Last = %v, want the service", tr.Last)
	}
	unmet := tr.Unmet(w)
	if len(unmet) != 1 || unmet[0].Kind != KindJob || unmet[0].Why != "does not exist" {
		t.Errorf("Unmet = %+v", unmet)
	}

	w.jobs = []*batchv1.Job{job("keystone-db-sync", 1, nil)}
	if !tr.Evaluate(w, t0.Add(3*time.Second)) || !tr.Done() {
		t.Fatal("not met after the job succeeded, with the service latched")
	}
	if tr.Last.String() != jb.String() || !tr.LastAt.Equal(t0.Add(3*time.Second)) {
		t.Errorf("Last = %v at %v, want the job at +3s", tr.Last, tr.LastAt)
	}
	if got := tr.MetAt(0, 0); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("service re-latched at %v", got)
	}
	if len(tr.Unmet(w)) != 0 {
		t.Error("Unmet not empty when done")
	}
}

// The second init container starts checking only once the first is through.
func TestTrackerRunsContainersInOrder(t *testing.T) {
	self := Self{PodName: "me", Namespace: ns}
	first := Dependency{Kind: KindJob, Namespace: ns, Name: "a"}
	second := Dependency{Kind: KindJob, Namespace: ns, Name: "b"}
	tr := NewTracker([]Wait{{Self: self, Deps: []Dependency{first}}, {Self: self, Deps: []Dependency{second}}})
	w := &world{jobs: []*batchv1.Job{job("b", 1, nil)}}
	if tr.Evaluate(w, time.Unix(1, 0)) {
		t.Fatal("met")
	}
	if !tr.MetAt(1, 0).IsZero() {
		t.Error("the second container's wait was checked before the first finished")
	}
	if u := tr.Unmet(w); len(u) != 1 || u[0].Name != "a" {
		t.Errorf("Unmet = %+v, want only the first container's job", u)
	}
	w.jobs = append(w.jobs, job("a", 1, nil))
	if !tr.Evaluate(w, time.Unix(2, 0)) {
		t.Fatal("not met")
	}
	if tr.Last.String() != second.String() {
		t.Errorf("Last = %v", tr.Last)
	}
}

func TestTrackerWithoutWaits(t *testing.T) {
	if tr := NewTracker([]Wait{{Self: Self{Namespace: ns}}}); !tr.Evaluate(&world{}, time.Unix(1, 0)) || tr.Last != nil {
		t.Error("an entrypoint with nothing to wait for is not met at once")
	}
}

func TestReportJSON(t *testing.T) {
	cases := map[string]Report{
		`{"kind":"service","name":"mariadb","namespace":"openstack","why":"no ready endpoint"}`: Describe(
			Dependency{Kind: KindService, Namespace: ns, Name: "mariadb"}, "no ready endpoint"),
		`{"kind":"pod","namespace":"openstack","labels":{"application":"openvswitch"},"requireSameNode":true,"why":"no Ready pod on my node (k2)"}`: Describe(
			Dependency{Kind: KindPod, Namespace: ns, Labels: map[string]string{"application": "openvswitch"}, RequireSameNode: true}, "no Ready pod on my node (k2)"),
		`{"kind":"customresource","name":"ceph","namespace":"openstack","apiVersion":"ceph.rook.io/v1","resourceKind":"CephCluster","why":"does not exist"}`: Describe(
			Dependency{Kind: KindCustomResource, Namespace: ns, Name: "ceph", APIVersion: "ceph.rook.io/v1", ResourceKind: "CephCluster"}, "does not exist"),
	}
	for want, r := range cases {
		b, err := json.Marshal(r)
		if err != nil || string(b) != want {
			t.Errorf("got %s %v\nwant %s", b, err, want)
		}
	}
}
