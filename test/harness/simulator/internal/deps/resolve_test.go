package deps

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestCheck(t *testing.T) {
	me := pod("me", "k2", "192.0.2.12", false, nil)
	self := Self{PodName: "me", Namespace: ns}
	ovs := map[string]string{"application": "neutron", "component": "neutron-ovs-agent"}
	svc := Dependency{Kind: KindService, Namespace: ns, Name: "mariadb"}
	jobDep := Dependency{Kind: KindJob, Namespace: ns, Name: "keystone-db-sync"}
	jobsBy := Dependency{Kind: KindJob, Namespace: ns, Labels: map[string]string{"app": "ks"}}
	podAny := Dependency{Kind: KindPod, Namespace: ns, Labels: ovs}
	podSame := Dependency{Kind: KindPod, Namespace: ns, Labels: ovs, RequireSameNode: true}
	ds := Dependency{Kind: KindDaemonSet, Namespace: ns, Name: "ovs"}
	cr := Dependency{Kind: KindCustomResource, Namespace: ns, APIVersion: "x.io/v1", ResourceKind: "Thing", Name: "t",
		Fields: []Field{{Key: "status.phase", Value: "Ready"}}, Conditions: []Condition{{Type: "Available"}}}
	crObj := func(phase any, cond string) map[string]any {
		return map[string]any{"status": map[string]any{"phase": phase,
			"conditions": []any{map[string]any{"type": "Other", "status": "False"}, map[string]any{"type": "Available", "status": cond}}}}
	}
	crWorld := func(o map[string]any) *world {
		return &world{pods: []*corev1.Pod{me}, crs: map[string]map[string]any{"x.io/v1/Thing/openstack/t": o}}
	}
	mePlus := func(ps ...*corev1.Pod) []*corev1.Pod { return append([]*corev1.Pod{me}, ps...) }
	eps := func(addrs ...string) *corev1.Endpoints { //nolint:staticcheck
		e := &corev1.Endpoints{ObjectMeta: meta("mariadb", nil)} //nolint:staticcheck
		e.Subsets = []corev1.EndpointSubset{{NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.0.0.9"}}}}
		for _, a := range addrs {
			e.Subsets = append(e.Subsets, corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{{IP: a}}})
		}
		return e
	}

	cases := []struct {
		name string
		dep  Dependency
		w    *world
		met  bool
		why  string
	}{
		// Services: EndpointSlices first, then the Endpoints object.
		{"service without endpoints", svc, &world{}, false, "no ready endpoint"},
		{"slice ready=nil counts", svc, &world{slices: []*discoveryv1.EndpointSlice{slice("m1", "mariadb", []string{"10.0.0.1"}, nil)}}, true, ""},
		{"slice ready=true", svc, &world{slices: []*discoveryv1.EndpointSlice{slice("m1", "mariadb", []string{"10.0.0.1"}, ptr(true))}}, true, ""},
		{"slice ready=false", svc, &world{slices: []*discoveryv1.EndpointSlice{slice("m1", "mariadb", []string{"10.0.0.1"}, ptr(false))}}, false, "no ready endpoint"},
		{"slice endpoint without address", svc, &world{slices: []*discoveryv1.EndpointSlice{slice("m1", "mariadb", nil, ptr(true))}}, false, "no ready endpoint"},
		{"slice of another service", svc, &world{slices: []*discoveryv1.EndpointSlice{slice("r1", "rabbitmq", []string{"10.0.0.1"}, nil)}}, false, "no ready endpoint"},
		{"one ready slice among unready", svc, &world{slices: []*discoveryv1.EndpointSlice{
			slice("m1", "mariadb", []string{"10.0.0.1"}, ptr(false)), slice("m2", "mariadb", []string{"10.0.0.2"}, ptr(true))}}, true, ""},
		{"Endpoints fallback", svc, &world{slices: []*discoveryv1.EndpointSlice{slice("m1", "mariadb", []string{"10.0.0.1"}, ptr(false))},
			endpoints: []*corev1.Endpoints{eps("10.0.0.1")}}, true, ""},
		{"Endpoints with only not-ready addresses", svc, &world{endpoints: []*corev1.Endpoints{eps()}}, false, "no ready endpoint"},

		// Jobs by name: status.succeeded, not the Complete condition.
		{"job missing", jobDep, &world{}, false, "does not exist"},
		{"job running", jobDep, &world{jobs: []*batchv1.Job{job("keystone-db-sync", 0, nil)}}, false, "not succeeded"},
		{"job succeeded", jobDep, &world{jobs: []*batchv1.Job{job("keystone-db-sync", 1, nil)}}, true, ""},
		{"job without name or labels", Dependency{Kind: KindJob, Namespace: ns}, &world{jobs: []*batchv1.Job{job("x", 1, nil)}}, false, "no name or labels"},

		// Jobs by labels: at least one, and every one succeeded.
		{"jobs by labels, none", jobsBy, &world{jobs: []*batchv1.Job{job("x", 1, nil)}}, false, "does not exist"},
		{"jobs by labels, all succeeded", jobsBy, &world{jobs: []*batchv1.Job{
			job("a", 1, map[string]string{"app": "ks"}), job("b", 2, map[string]string{"app": "ks", "more": "x"})}}, true, ""},
		{"jobs by labels, one not succeeded", jobsBy, &world{jobs: []*batchv1.Job{
			job("a", 1, map[string]string{"app": "ks"}), job("b", 0, map[string]string{"app": "ks"})}}, false, "not succeeded: b"},
		{"jobs by empty labels never resolve", Dependency{Kind: KindJob, Namespace: ns, Labels: map[string]string{}},
			&world{jobs: []*batchv1.Job{job("a", 1, nil)}}, false, "empty label selector"},

		// Pods.
		{"pod, none matches", podAny, &world{pods: mePlus()}, false, "no matching pod"},
		{"pod, one Ready anywhere", podAny, &world{pods: mePlus(pod("ovs-1", "k1", "192.0.2.11", true, ovs))}, true, ""},
		{"pod, matches but none Ready", podAny, &world{pods: mePlus(pod("ovs-1", "k1", "192.0.2.11", false, ovs))}, false, "no Ready pod"},
		{"same node, only elsewhere", podSame, &world{pods: mePlus(pod("ovs-1", "k1", "192.0.2.11", true, ovs))}, false, "no pod on my node (k2)"},
		{"same node, mine not Ready", podSame, &world{pods: mePlus(pod("ovs-1", "k1", "192.0.2.11", true, ovs),
			pod("ovs-2", "k2", "192.0.2.12", false, ovs))}, false, "no Ready pod on my node (k2)"},
		{"same node, mine Ready", podSame, &world{pods: mePlus(pod("ovs-2", "k2", "192.0.2.12", true, ovs))}, true, ""},
		{"pod, my own pod missing", podAny, &world{pods: []*corev1.Pod{pod("ovs-1", "k1", "192.0.2.11", true, ovs)}}, false, "my pod me not found"},
		{"pod with empty labels never resolves", Dependency{Kind: KindPod, Namespace: ns},
			&world{pods: mePlus(pod("ovs-1", "k1", "192.0.2.11", true, ovs))}, false, "empty label selector"},

		// DaemonSets: the first of its pods on my host decides; none there is vacuously met.
		{"daemonset missing", ds, &world{pods: mePlus()}, false, "does not exist"},
		{"daemonset with no pod on my node is vacuous", ds, &world{daemons: []*appsv1.DaemonSet{daemonSet("ovs", ovs)},
			pods: mePlus(pod("ovs-1", "k1", "192.0.2.11", false, ovs))}, true, ""},
		{"daemonset pod on my node not Ready", ds, &world{daemons: []*appsv1.DaemonSet{daemonSet("ovs", ovs)},
			pods: mePlus(pod("ovs-2", "k2", "192.0.2.12", false, ovs))}, false, "pod ovs-2 on my node (k2) not Ready"},
		{"daemonset pod on my node Ready", ds, &world{daemons: []*appsv1.DaemonSet{daemonSet("ovs", ovs)},
			pods: mePlus(pod("ovs-2", "k2", "192.0.2.12", true, ovs))}, true, ""},
		{"daemonset: the first pod by name on my node decides", ds, &world{daemons: []*appsv1.DaemonSet{daemonSet("ovs", ovs)},
			pods: mePlus(pod("ovs-a", "k2", "192.0.2.12", false, ovs), pod("ovs-b", "k2", "192.0.2.12", true, ovs))},
			false, "pod ovs-a on my node (k2) not Ready"},

		// Containers of my own pod.
		{"container never ready in init", Dependency{Kind: KindContainer, Namespace: ns, Name: "main"}, &world{pods: mePlus()}, false, "not ready"},

		// Custom resources.
		{"custom resource missing", cr, &world{pods: mePlus()}, false, "does not exist"},
		{"custom resource met", cr, crWorld(crObj("Ready", "True")), true, ""},
		{"custom resource field differs", cr, crWorld(crObj("Pending", "True")), false, "field status.phase is Pending, want Ready"},
		{"custom resource field not a string", Dependency{Kind: KindCustomResource, Namespace: ns, APIVersion: "x.io/v1", ResourceKind: "Thing", Name: "t",
			Fields: []Field{{Key: "status.ok", Value: "true"}}}, crWorld(map[string]any{"status": map[string]any{"ok": true}}), false, "field status.ok is true, want true"},
		{"custom resource field missing", cr, crWorld(map[string]any{}), false, "field status.phase missing"},
		{"custom resource condition default True", cr, crWorld(crObj("Ready", "False")), false, "condition Available is False, want True"},
		{"custom resource condition with explicit status", Dependency{Kind: KindCustomResource, Namespace: ns, APIVersion: "x.io/v1", ResourceKind: "Thing", Name: "t",
			Conditions: []Condition{{Type: "Other", Status: "False"}}}, crWorld(crObj("Ready", "False")), true, ""},
		{"custom resource without conditions", cr, crWorld(map[string]any{"status": map[string]any{"phase": "Ready"}}), false, "no status.conditions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			met, why := Check(c.dep, c.w, self)
			if met != c.met || why != c.why {
				t.Errorf("Check = %v %q, want %v %q", met, why, c.met, c.why)
			}
			if Met(c.dep, c.w, self) != c.met {
				t.Error("Met disagrees with Check")
			}
		})
	}
}
