package deps

import (
	"errors"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// world is an in-memory View for tests.
type world struct {
	slices    []*discoveryv1.EndpointSlice
	endpoints []*corev1.Endpoints //nolint:staticcheck
	jobs      []*batchv1.Job
	pods      []*corev1.Pod
	daemons   []*appsv1.DaemonSet
	crs       map[string]map[string]any // apiVersion/kind/ns/name
}

func (w *world) EndpointSlices(ns, svc string) []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, s := range w.slices {
		if s.Namespace == ns && s.Labels[discoveryv1.LabelServiceName] == svc {
			out = append(out, s)
		}
	}
	return out
}

func (w *world) Endpoints(ns, name string) *corev1.Endpoints { //nolint:staticcheck
	for _, e := range w.endpoints {
		if e.Namespace == ns && e.Name == name {
			return e
		}
	}
	return nil
}

func (w *world) Job(ns, name string) *batchv1.Job {
	for _, j := range w.jobs {
		if j.Namespace == ns && j.Name == name {
			return j
		}
	}
	return nil
}

func (w *world) Jobs(ns string, sel labels.Selector) []*batchv1.Job {
	var out []*batchv1.Job
	for _, j := range w.jobs {
		if j.Namespace == ns && sel.Matches(labels.Set(j.Labels)) {
			out = append(out, j)
		}
	}
	return out
}

func (w *world) Pod(ns, name string) *corev1.Pod {
	for _, p := range w.pods {
		if p.Namespace == ns && p.Name == name {
			return p
		}
	}
	return nil
}

func (w *world) Pods(ns string, sel labels.Selector) []*corev1.Pod {
	var out []*corev1.Pod
	// Reverse order, so that tests see the resolver impose the API server's name order itself.
	for i := len(w.pods) - 1; i >= 0; i-- {
		p := w.pods[i]
		if p.Namespace == ns && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) DaemonSet(ns, name string) *appsv1.DaemonSet {
	for _, d := range w.daemons {
		if d.Namespace == ns && d.Name == name {
			return d
		}
	}
	return nil
}

func (w *world) CustomResource(apiVersion, kind, ns, name string) (map[string]any, error) {
	if o, ok := w.crs[apiVersion+"/"+kind+"/"+ns+"/"+name]; ok {
		return o, nil
	}
	return nil, errors.New("does not exist")
}

const ns = "openstack"

func meta(name string, lbls map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: lbls}
}

func pod(name, node, hostIP string, ready bool, lbls map[string]string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: meta(name, lbls)}
	p.Spec.NodeName = node
	p.Status.HostIP = hostIP
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	return p
}

func job(name string, succeeded int32, lbls map[string]string) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: meta(name, lbls)}
	j.Status.Succeeded = succeeded
	return j
}

func slice(name, svc string, addrs []string, ready *bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: meta(name, map[string]string{discoveryv1.LabelServiceName: svc})}
	s.Endpoints = []discoveryv1.Endpoint{{Addresses: addrs, Conditions: discoveryv1.EndpointConditions{Ready: ready}}}
	return s
}

func daemonSet(name string, sel map[string]string) *appsv1.DaemonSet {
	d := &appsv1.DaemonSet{ObjectMeta: meta(name, nil)}
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: sel}
	return d
}

func ptr[T any](v T) *T { return &v }
