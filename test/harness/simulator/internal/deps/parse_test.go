package deps

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParse(t *testing.T) {
	svc := func(n, name string) Dependency { return Dependency{Kind: KindService, Namespace: n, Name: name} }
	jobN := func(n, name string) Dependency { return Dependency{Kind: KindJob, Namespace: n, Name: name} }
	self := Self{PodName: "me", Namespace: ns}
	cases := []struct {
		name     string
		env      map[string]string
		want     []Dependency
		wantSelf *Self
		notes    int
	}{
		{name: "nothing", env: map[string]string{"POD_NAME": "me", "NAMESPACE": ns}},
		{name: "NAMESPACE unset defaults to default", env: map[string]string{"DEPENDENCY_SERVICE": "mariadb"},
			want: []Dependency{svc("default", "mariadb")}, wantSelf: &Self{Namespace: "default"}},
		{name: "service list with namespaces",
			env:  map[string]string{"NAMESPACE": ns, "DEPENDENCY_SERVICE": "mariadb,other:rabbitmq"},
			want: []Dependency{svc(ns, "mariadb"), svc("other", "rabbitmq")}},
		{name: "a:b:c and empty namespace dropped",
			env:  map[string]string{"NAMESPACE": ns, "DEPENDENCY_SERVICE": "a:b:c,:b,x:y"},
			want: []Dependency{svc("x", "y")}, notes: 2},
		{name: "entries are not trimmed and empty ones stay",
			env:  map[string]string{"NAMESPACE": ns, "DEPENDENCY_SERVICE": "a, b,"},
			want: []Dependency{svc(ns, "a"), svc(ns, " b"), svc(ns, "")}},
		{name: "plain jobs", env: map[string]string{"NAMESPACE": ns, "DEPENDENCY_JOBS": "keystone-db-sync,x:y"},
			want: []Dependency{jobN(ns, "keystone-db-sync"), jobN("x", "y")}},
		{name: "JOBS_JSON overrides JOBS",
			env: map[string]string{"NAMESPACE": ns, "DEPENDENCY_JOBS": "ignored",
				"DEPENDENCY_JOBS_JSON": `[{"name":"a"},{"namespace":"x","labels":{"app":"b"}}]`},
			want:  []Dependency{jobN(ns, "a"), {Kind: KindJob, Namespace: "x", Labels: map[string]string{"app": "b"}}},
			notes: 1},
		{name: "empty JOBS_JSON list still overrides JOBS",
			env: map[string]string{"NAMESPACE": ns, "DEPENDENCY_JOBS": "ignored", "DEPENDENCY_JOBS_JSON": `[]`}, notes: 1},
		{name: "invalid JOBS_JSON drops every job",
			env: map[string]string{"NAMESPACE": ns, "DEPENDENCY_JOBS": "ignored", "DEPENDENCY_JOBS_JSON": `[{`}, notes: 2},
		{name: "job with name and labels dropped, even empty labels",
			env: map[string]string{"NAMESPACE": ns,
				"DEPENDENCY_JOBS_JSON": `[{"name":"a","labels":{"x":"y"}},{"name":"b","labels":{}},{"name":"c"}]`},
			want: []Dependency{jobN(ns, "c")}, notes: 2},
		{name: "pod json defaults namespace",
			env: map[string]string{"POD_NAME": "me", "NAMESPACE": ns,
				"DEPENDENCY_POD_JSON": `[{"labels":{"a":"b"},"requireSameNode":true},{"labels":{"c":"d"},"namespace":"x"}]`},
			want: []Dependency{{Kind: KindPod, Namespace: ns, Labels: map[string]string{"a": "b"}, RequireSameNode: true},
				{Kind: KindPod, Namespace: "x", Labels: map[string]string{"c": "d"}}},
			wantSelf: &self},
		{name: "invalid pod json drops all",
			env:   map[string]string{"POD_NAME": "me", "NAMESPACE": ns, "DEPENDENCY_POD_JSON": `[{"labels":{"a":"b"},"requireSameNode":"yes"}]`},
			notes: 1},
		{name: "pod and daemonset skipped without POD_NAME",
			env: map[string]string{"NAMESPACE": ns, "DEPENDENCY_POD_JSON": `[{"labels":{"a":"b"}}]`,
				"DEPENDENCY_DAEMONSET": "ovs", "DEPENDENCY_SERVICE": "mariadb"},
			want: []Dependency{svc(ns, "mariadb")}, notes: 2},
		{name: "daemonset", env: map[string]string{"POD_NAME": "me", "NAMESPACE": ns, "DEPENDENCY_DAEMONSET": "ovs,x:libvirt"},
			want: []Dependency{{Kind: KindDaemonSet, Namespace: ns, Name: "ovs"}, {Kind: KindDaemonSet, Namespace: "x", Name: "libvirt"}}},
		{name: "container drops its namespace",
			env:  map[string]string{"NAMESPACE": ns, "DEPENDENCY_CONTAINER": "a,x:b"},
			want: []Dependency{{Kind: KindContainer, Namespace: ns, Name: "a"}, {Kind: KindContainer, Namespace: ns, Name: "b"}}},
		{name: "custom resource",
			env: map[string]string{"NAMESPACE": ns, "DEPENDENCY_CUSTOM_RESOURCE": ` [{"apiVersion":"ceph.rook.io/v1","kind":"CephCluster","name":"ceph",
				"fields":[{"key":"status.phase","value":"Ready"}],"conditions":[{"type":"Ready"}]}] `},
			want: []Dependency{{Kind: KindCustomResource, APIVersion: "ceph.rook.io/v1", ResourceKind: "CephCluster", Name: "ceph", Namespace: ns,
				Fields: []Field{{"status.phase", "Ready"}}, Conditions: []Condition{{Type: "Ready"}}}}},
		{name: "custom resource with a type error keeps what decoded, undefaulted",
			env:  map[string]string{"NAMESPACE": ns, "DEPENDENCY_CUSTOM_RESOURCE": `[{"apiVersion":"a/v1","kind":"K","name":"n","fields":[{"key":"k","value":true}]}]`},
			want: []Dependency{{Kind: KindCustomResource, APIVersion: "a/v1", ResourceKind: "K", Name: "n", Fields: []Field{{Key: "k"}}}}, notes: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := Parse(c.env)
			if !reflect.DeepEqual(w.Deps, c.want) {
				t.Errorf("deps\n got %+v\nwant %+v", w.Deps, c.want)
			}
			if c.wantSelf != nil && w.Self != *c.wantSelf {
				t.Errorf("self = %+v, want %+v", w.Self, *c.wantSelf)
			}
			if len(w.Notes) != c.notes {
				t.Errorf("notes = %q, want %d", w.Notes, c.notes)
			}
		})
	}
}

// helm-toolkit renders POD_NAME and NAMESPACE from the downward API.
func TestPodWaitsResolvesFieldRefs(t *testing.T) {
	fieldRef := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "keystone-api-abc", Namespace: ns}}
	p.Spec.InitContainers = []corev1.Container{
		{Name: "other", Command: []string{"sh"}, Env: []corev1.EnvVar{{Name: "DEPENDENCY_SERVICE", Value: "nope"}}},
		{Name: "init", Command: []string{"kubernetes-entrypoint"}, Env: []corev1.EnvVar{
			{Name: "POD_NAME", ValueFrom: fieldRef("metadata.name")},
			{Name: "NAMESPACE", ValueFrom: fieldRef("metadata.namespace")},
			{Name: "INTERFACE_NAME", Value: "eth0"},
			{Name: "DEPENDENCY_SERVICE", Value: "mariadb"},
			{Name: "DEPENDENCY_JOBS", Value: "keystone-db-sync"},
			{Name: "DEPENDENCY_DAEMONSET", Value: ""},
			{Name: "DEPENDENCY_CONTAINER", Value: ""},
			{Name: "DEPENDENCY_POD_JSON", Value: ""},
			{Name: "DEPENDENCY_CUSTOM_RESOURCE", Value: ""},
			{Name: "COMMAND", Value: "echo done"},
		}},
	}
	if !HasEntrypoint(p) {
		t.Fatal("HasEntrypoint = false")
	}
	waits := PodWaits(p)
	if len(waits) != 1 {
		t.Fatalf("got %d waits, want 1", len(waits))
	}
	w := waits[0]
	if w.Container != "init" || w.Self != (Self{PodName: "keystone-api-abc", Namespace: ns}) {
		t.Errorf("wait = %+v", w)
	}
	want := []Dependency{{Kind: KindService, Namespace: ns, Name: "mariadb"}, {Kind: KindJob, Namespace: ns, Name: "keystone-db-sync"}}
	if !reflect.DeepEqual(w.Deps, want) {
		t.Errorf("deps = %+v, want %+v", w.Deps, want)
	}

	p.Spec.InitContainers = p.Spec.InitContainers[:1]
	if HasEntrypoint(p) || PodWaits(p) != nil {
		t.Error("a pod without kubernetes-entrypoint has waits")
	}
}

func TestDependencyString(t *testing.T) {
	cases := map[string]Dependency{
		"service openstack/mariadb":                  {Kind: KindService, Namespace: ns, Name: "mariadb"},
		"job openstack/keystone-db-sync":             {Kind: KindJob, Namespace: ns, Name: "keystone-db-sync"},
		"job openstack/{app=x,b=y}":                  {Kind: KindJob, Namespace: ns, Labels: map[string]string{"b": "y", "app": "x"}},
		"pod openstack/{application=ovs} on my node": {Kind: KindPod, Namespace: ns, Labels: map[string]string{"application": "ovs"}, RequireSameNode: true},
		"daemonset openstack/ovs":                    {Kind: KindDaemonSet, Namespace: ns, Name: "ovs"},
		"customresource openstack/CephCluster/ceph":  {Kind: KindCustomResource, Namespace: ns, ResourceKind: "CephCluster", Name: "ceph"},
		"container main":                             {Kind: KindContainer, Namespace: ns, Name: "main"},
	}
	for want, d := range cases {
		if got := d.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
