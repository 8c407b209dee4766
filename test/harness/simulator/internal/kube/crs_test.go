package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/dynamic"
	fakedynamic "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

var gvr = schema.GroupVersionResource{Group: "ceph.rook.io", Version: "v1", Resource: "cephclusters"}

func cluster(phase string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "ceph", "namespace": "rook-ceph"},
		"status":   map[string]any{"phase": phase},
	}}
}

// reader returns a CRReader over fake clients that know CephCluster, the clock it reads and
// the dynamic client to change objects with.
func reader(t *testing.T, objs ...runtime.Object) (*CRReader, *time.Time, *fakedynamic.FakeDynamicClient, *int) {
	disc := kubefake.NewClientset().Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: "ceph.rook.io/v1", APIResources: []metav1.APIResource{
		{Name: "cephclusters", Kind: "CephCluster", Namespaced: true},
		{Name: "cephclusters/status", Kind: "CephCluster", Namespaced: true},
	}}}
	dyn := fakedynamic.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "CephClusterList"}, objs...)
	now := time.Unix(1_000_000, 0)
	made := 0
	r := NewCRReader(func() (discovery.DiscoveryInterface, dynamic.Interface, error) {
		made++
		return disc, dyn, nil
	}, func() time.Time { return now })
	return r, &now, dyn, &made
}

func TestCRReaderReadsThroughDiscovery(t *testing.T) {
	r, now, dyn, made := reader(t, cluster("Progressing"))
	obj, err := r.Get("ceph.rook.io/v1", "CephCluster", "rook-ceph", "ceph")
	if err != nil || obj == nil {
		t.Fatalf("got %v, %v", obj, err)
	}
	if got, _, _ := unstructured.NestedString(obj, "status", "phase"); got != "Progressing" {
		t.Errorf("phase %q", got)
	}
	if _, err := dyn.Resource(gvr).Namespace("rook-ceph").Update(context.Background(), cluster("Ready"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Within a second the answer is the cached one; after, the API server is asked again.
	*now = now.Add(500 * time.Millisecond)
	obj, _ = r.Get("ceph.rook.io/v1", "CephCluster", "rook-ceph", "ceph")
	if got, _, _ := unstructured.NestedString(obj, "status", "phase"); got != "Progressing" {
		t.Errorf("within a second: phase %q, want the cached Progressing", got)
	}
	*now = now.Add(time.Second)
	obj, _ = r.Get("ceph.rook.io/v1", "CephCluster", "rook-ceph", "ceph")
	if got, _, _ := unstructured.NestedString(obj, "status", "phase"); got != "Ready" {
		t.Errorf("after a second: phase %q, want Ready", got)
	}
	if *made != 1 {
		t.Errorf("clients made %d times, want once", *made)
	}
}

func TestCRReaderMissingAndUnknown(t *testing.T) {
	r, _, _, made := reader(t)
	if _, err := r.Get("v1", "ConfigMap", "ns", "x"); err == nil || !strings.Contains(err.Error(), "not group/version") {
		t.Errorf("core kind: %v", err)
	}
	if *made != 0 {
		t.Errorf("clients made before a usable apiVersion: %d", *made)
	}
	obj, err := r.Get("ceph.rook.io/v1", "CephCluster", "rook-ceph", "absent")
	if obj != nil || err != nil {
		t.Errorf("missing object: got %v, %v; want nil, nil", obj, err)
	}
	if _, err := r.Get("ceph.rook.io/v1", "CephBlockPool", "rook-ceph", "p"); err == nil || !strings.Contains(err.Error(), "no kind CephBlockPool in ceph.rook.io/v1") {
		t.Errorf("unknown kind: %v", err)
	}
}
