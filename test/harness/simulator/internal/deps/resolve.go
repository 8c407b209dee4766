package deps

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// View is the read-only cluster state the resolver needs. Missing objects are nil or empty.
type View interface {
	// EndpointSlices labelled kubernetes.io/service-name=service.
	EndpointSlices(namespace, service string) []*discoveryv1.EndpointSlice
	Endpoints(namespace, name string) *corev1.Endpoints //nolint:staticcheck // the entrypoint's fallback
	Job(namespace, name string) *batchv1.Job
	Jobs(namespace string, selector labels.Selector) []*batchv1.Job
	Pod(namespace, name string) *corev1.Pod
	Pods(namespace string, selector labels.Selector) []*corev1.Pod
	DaemonSet(namespace, name string) *appsv1.DaemonSet
	// CustomResource returns the object's content, or an error saying why it cannot be read.
	CustomResource(apiVersion, kind, namespace, name string) (map[string]any, error)
}

// Met tells whether dep is resolved for the entrypoint described by self.
func Met(dep Dependency, v View, self Self) bool {
	ok, _ := Check(dep, v, self)
	return ok
}

// Check is Met with the reason an unmet dependency is still waited for.
func Check(dep Dependency, v View, self Self) (bool, string) {
	switch dep.Kind {
	case KindService:
		return checkService(dep, v)
	case KindJob:
		return checkJob(dep, v)
	case KindPod:
		return checkPod(dep, v, self)
	case KindDaemonSet:
		return checkDaemonSet(dep, v, self)
	case KindContainer:
		return checkContainer(dep, v, self)
	case KindCustomResource:
		return checkCustomResource(dep, v, self)
	}
	return false, fmt.Sprintf("unknown kind %q", dep.Kind)
}

// The Service object itself is never read: only its endpoints.
func checkService(dep Dependency, v View) (bool, string) {
	for _, s := range v.EndpointSlices(dep.Namespace, dep.Name) {
		for _, e := range s.Endpoints {
			if len(e.Addresses) > 0 && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
				return true, ""
			}
		}
	}
	if ep := v.Endpoints(dep.Namespace, dep.Name); ep != nil {
		for _, s := range ep.Subsets {
			if len(s.Addresses) > 0 {
				return true, ""
			}
		}
	}
	return false, "no ready endpoint"
}

// A Job counts once status.succeeded > 0; its Complete condition is not looked at.
func checkJob(dep Dependency, v View) (bool, string) {
	if dep.Labels == nil {
		if dep.Name == "" {
			return false, "no name or labels"
		}
		j := v.Job(dep.Namespace, dep.Name)
		if j == nil {
			return false, "does not exist"
		}
		if j.Status.Succeeded == 0 {
			return false, "not succeeded"
		}
		return true, ""
	}
	sel, why := selectorOf(dep.Labels)
	if sel == nil {
		return false, why
	}
	jobs := v.Jobs(dep.Namespace, sel)
	if len(jobs) == 0 {
		return false, "does not exist"
	}
	var pending []string
	for _, j := range jobs {
		if j.Status.Succeeded == 0 {
			pending = append(pending, j.Name)
		}
	}
	if len(pending) > 0 {
		sort.Strings(pending)
		return false, "not succeeded: " + strings.Join(pending, ",")
	}
	return true, ""
}

// selectorOf refuses an empty label set: the entrypoint formats it as "<none>", which the API
// server rejects, so such a wait never resolves.
func selectorOf(m map[string]string) (labels.Selector, string) {
	if len(m) == 0 {
		return nil, "empty label selector"
	}
	return labels.SelectorFromSet(m), ""
}

func checkPod(dep Dependency, v View, self Self) (bool, string) {
	me := v.Pod(self.Namespace, self.PodName)
	if me == nil {
		return false, "my pod " + self.PodName + " not found"
	}
	sel, why := selectorOf(dep.Labels)
	if sel == nil {
		return false, why
	}
	pods := v.Pods(dep.Namespace, sel)
	if len(pods) == 0 {
		return false, "no matching pod"
	}
	onNode := 0
	for _, p := range pods {
		if dep.RequireSameNode && p.Status.HostIP != me.Status.HostIP {
			continue
		}
		onNode++
		if podReady(p) {
			return true, ""
		}
	}
	if !dep.RequireSameNode {
		return false, "no Ready pod"
	}
	if onNode == 0 {
		return false, fmt.Sprintf("no pod on my node (%s)", nodeOf(me))
	}
	return false, fmt.Sprintf("no Ready pod on my node (%s)", nodeOf(me))
}

// Only the first of the DaemonSet's pods on my host is looked at, in the API server's list
// order (by name); no pod on my host at all counts as resolved.
func checkDaemonSet(dep Dependency, v View, self Self) (bool, string) {
	ds := v.DaemonSet(dep.Namespace, dep.Name)
	if ds == nil {
		return false, "does not exist"
	}
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		return false, "unusable selector"
	}
	pods := v.Pods(dep.Namespace, sel)
	me := v.Pod(self.Namespace, self.PodName)
	if me == nil {
		return false, "my pod " + self.PodName + " not found"
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		if p.Status.HostIP != me.Status.HostIP {
			continue
		}
		if podReady(p) {
			return true, ""
		}
		return false, fmt.Sprintf("pod %s on my node (%s) not Ready", p.Name, nodeOf(me))
	}
	return true, ""
}

// A container of my own pod; inside an init container this never becomes ready.
func checkContainer(dep Dependency, v View, self Self) (bool, string) {
	me := v.Pod(self.Namespace, self.PodName)
	if me == nil {
		return false, "my pod " + self.PodName + " not found"
	}
	for _, cs := range me.Status.ContainerStatuses {
		if cs.Name == dep.Name && cs.Ready {
			return true, ""
		}
	}
	return false, "not ready"
}

func checkCustomResource(dep Dependency, v View, self Self) (bool, string) {
	ns := dep.Namespace
	if ns == "" {
		ns = self.Namespace
	}
	obj, err := v.CustomResource(dep.APIVersion, dep.ResourceKind, ns, dep.Name)
	if err != nil {
		return false, err.Error()
	}
	if obj == nil {
		return false, "does not exist"
	}
	for _, f := range dep.Fields {
		got, found, err := unstructured.NestedFieldNoCopy(obj, strings.Split(f.Key, ".")...)
		switch {
		case err != nil:
			return false, fmt.Sprintf("field %s: %v", f.Key, err)
		case !found:
			return false, fmt.Sprintf("field %s missing", f.Key)
		case got != any(f.Value): // only a string can equal: true is not "true"
			return false, fmt.Sprintf("field %s is %v, want %s", f.Key, got, f.Value)
		}
	}
	for _, c := range dep.Conditions {
		want := c.Status
		if want == "" {
			want = "True"
		}
		got, why := conditionStatus(obj, c.Type)
		if why != "" {
			return false, why
		}
		if got != want {
			return false, fmt.Sprintf("condition %s is %s, want %s", c.Type, got, want)
		}
	}
	return true, ""
}

func conditionStatus(obj map[string]any, typ string) (string, string) {
	raw, found, err := unstructured.NestedFieldNoCopy(obj, "status", "conditions")
	if err != nil || !found {
		return "", "no status.conditions"
	}
	list, ok := raw.([]any)
	if !ok {
		return "", "status.conditions is not a list"
	}
	for _, item := range list {
		c, ok := item.(map[string]any)
		if !ok || c["type"] != typ {
			continue
		}
		s, ok := c["status"].(string)
		if !ok {
			return "", fmt.Sprintf("condition %s has no string status", typ)
		}
		return s, ""
	}
	return "", fmt.Sprintf("no condition %s", typ)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func nodeOf(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	return p.Status.HostIP
}
