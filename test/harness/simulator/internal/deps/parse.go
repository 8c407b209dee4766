// Package deps reads the waits a pod's kubernetes-entrypoint init containers declare and decides,
// from a read-only view of the cluster, when each is met, with the rules of
// airshipit/kubernetes-entrypoint (its cases: test/fixtures/entrypoint-cases.json).
package deps

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// EntrypointCommand is command[0] of the init containers this package models.
const EntrypointCommand = "kubernetes-entrypoint"

// Kind is how a dependency's type is spelled in the stall report.
type Kind string

const (
	KindService        Kind = "service"
	KindJob            Kind = "job"
	KindPod            Kind = "pod"
	KindDaemonSet      Kind = "daemonset"
	KindContainer      Kind = "container"
	KindCustomResource Kind = "customresource"
)

// Field is one dotted key of a custom resource and the string it must hold.
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Condition is an entry of status.conditions and the status it must report ("" means "True").
type Condition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

// Dependency is one wait of an entrypoint container.
type Dependency struct {
	Kind      Kind
	Name      string
	Namespace string
	// Labels selects pods, or jobs when non-nil (the entrypoint tests nil, not empty).
	Labels          map[string]string
	RequireSameNode bool
	// Custom resources only.
	APIVersion   string
	ResourceKind string
	Fields       []Field
	Conditions   []Condition
}

func (d Dependency) String() string {
	switch {
	case d.Kind == KindCustomResource:
		return fmt.Sprintf("%s %s/%s/%s", d.Kind, d.Namespace, d.ResourceKind, d.Name)
	case d.Kind == KindContainer:
		return fmt.Sprintf("%s %s", d.Kind, d.Name)
	case d.Kind == KindPod || (d.Kind == KindJob && d.Labels != nil):
		s := fmt.Sprintf("%s %s/{%s}", d.Kind, d.Namespace, formatLabels(d.Labels))
		if d.RequireSameNode {
			s += " on my node"
		}
		return s
	}
	return fmt.Sprintf("%s %s/%s", d.Kind, d.Namespace, d.Name)
}

func formatLabels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// Self is what an entrypoint knows about its own pod: POD_NAME and NAMESPACE.
type Self struct {
	PodName   string
	Namespace string
}

// Wait is the dependency list of one entrypoint init container.
type Wait struct {
	Container string
	Self      Self
	Deps      []Dependency
	// Notes are the entrypoint's warnings: entries it drops or skips.
	Notes []string
}

// IsEntrypoint tells whether c runs kubernetes-entrypoint.
func IsEntrypoint(c corev1.Container) bool {
	return len(c.Command) > 0 && c.Command[0] == EntrypointCommand
}

// HasEntrypoint tells whether any init container of pod runs kubernetes-entrypoint.
func HasEntrypoint(pod *corev1.Pod) bool {
	for _, c := range pod.Spec.InitContainers {
		if IsEntrypoint(c) {
			return true
		}
	}
	return false
}

// PodWaits returns the waits of pod's entrypoint init containers, in the order they run.
func PodWaits(pod *corev1.Pod) []Wait {
	var waits []Wait
	for _, c := range pod.Spec.InitContainers {
		if !IsEntrypoint(c) {
			continue
		}
		w := Parse(Env(pod, c))
		w.Container = c.Name
		waits = append(waits, w)
	}
	return waits
}

// Env is the container's environment as the kubelet sets it, for the sources charts use: literal
// values and fields of the pod itself. Secrets, ConfigMaps, envFrom and $(VAR) references are
// not resolved; helm-toolkit renders none for the entrypoint.
func Env(pod *corev1.Pod, c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env { // a later duplicate wins, as in the kubelet
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		} else if e.ValueFrom.FieldRef != nil {
			if v, ok := podField(pod, e.ValueFrom.FieldRef.FieldPath); ok {
				env[e.Name] = v
			}
		}
	}
	return env
}

func podField(pod *corev1.Pod, path string) (string, bool) {
	switch path {
	case "metadata.name":
		return pod.Name, true
	case "metadata.namespace":
		return pod.Namespace, true
	case "metadata.uid":
		return string(pod.UID), true
	case "spec.nodeName":
		return pod.Spec.NodeName, true
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, true
	case "status.hostIP":
		return pod.Status.HostIP, true
	case "status.podIP":
		return pod.Status.PodIP, true
	}
	return "", false
}

// Parse reads one entrypoint's environment into its waits, keeping, dropping and defaulting
// entries as the entrypoint does. DEPENDENCY_SOCKET and _CONFIG are local file checks with
// nothing to simulate and are ignored.
func Parse(env map[string]string) Wait {
	w := Wait{Self: Self{PodName: env["POD_NAME"], Namespace: env["NAMESPACE"]}}
	if w.Self.Namespace == "" {
		w.Self.Namespace = "default"
	}
	base := w.Self.Namespace
	note := func(format string, args ...any) { w.Notes = append(w.Notes, fmt.Sprintf(format, args...)) }

	for _, d := range splitList("DEPENDENCY_SERVICE", env, base, note) {
		d.Kind = KindService
		w.Deps = append(w.Deps, d)
	}

	// _JOBS_JSON, when set, replaces _JOBS entirely, even when it is invalid or empty ("[]").
	if js := env["DEPENDENCY_JOBS_JSON"]; js != "" {
		if env["DEPENDENCY_JOBS"] != "" {
			note("DEPENDENCY_JOBS ignored: DEPENDENCY_JOBS_JSON is set")
		}
		var jobs []struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		}
		if err := json.Unmarshal([]byte(js), &jobs); err != nil {
			note("DEPENDENCY_JOBS_JSON ignored: %v", err)
			jobs = nil
		}
		for _, j := range jobs {
			if j.Namespace == "" {
				j.Namespace = base
			}
			if j.Name != "" && j.Labels != nil {
				note("job entry %q dropped: name and labels are exclusive", j.Name)
				continue
			}
			w.Deps = append(w.Deps, Dependency{Kind: KindJob, Name: j.Name, Namespace: j.Namespace, Labels: j.Labels})
		}
	} else {
		for _, d := range splitList("DEPENDENCY_JOBS", env, base, note) {
			d.Kind = KindJob
			w.Deps = append(w.Deps, d)
		}
	}

	if pj := env["DEPENDENCY_POD_JSON"]; pj != "" {
		var pods []struct {
			Labels          map[string]string `json:"labels"`
			Namespace       string            `json:"namespace"`
			RequireSameNode bool              `json:"requireSameNode"`
		}
		if err := json.Unmarshal([]byte(pj), &pods); err != nil {
			note("DEPENDENCY_POD_JSON ignored: %v", err)
			pods = nil
		}
		for _, p := range pods {
			if p.Namespace == "" {
				p.Namespace = base
			}
			if w.Self.PodName == "" {
				note("pod dependency in %s skipped: POD_NAME is not set", p.Namespace)
				continue
			}
			w.Deps = append(w.Deps, Dependency{Kind: KindPod, Namespace: p.Namespace, Labels: p.Labels, RequireSameNode: p.RequireSameNode})
		}
	}

	for _, d := range splitList("DEPENDENCY_DAEMONSET", env, base, note) {
		if w.Self.PodName == "" {
			note("daemonset %s/%s skipped: POD_NAME is not set", d.Namespace, d.Name)
			continue
		}
		d.Kind = KindDaemonSet
		w.Deps = append(w.Deps, d)
	}

	// Containers of my own pod: a "ns:" prefix is split off and ignored.
	for _, d := range splitList("DEPENDENCY_CONTAINER", env, base, note) {
		w.Deps = append(w.Deps, Dependency{Kind: KindContainer, Name: d.Name, Namespace: base})
	}

	if cj := strings.TrimSpace(env["DEPENDENCY_CUSTOM_RESOURCE"]); cj != "" {
		var crs []struct {
			APIVersion string      `json:"apiVersion"`
			Kind       string      `json:"kind"`
			Name       string      `json:"name"`
			Namespace  string      `json:"namespace"`
			Fields     []Field     `json:"fields"`
			Conditions []Condition `json:"conditions"`
		}
		// The entrypoint still registers what decoded before a type error, undefaulted.
		err := json.Unmarshal([]byte(cj), &crs)
		if err != nil {
			note("DEPENDENCY_CUSTOM_RESOURCE: %v", err)
		}
		for _, cr := range crs {
			if err == nil && cr.Namespace == "" {
				cr.Namespace = base
			}
			w.Deps = append(w.Deps, Dependency{Kind: KindCustomResource, APIVersion: cr.APIVersion, ResourceKind: cr.Kind,
				Name: cr.Name, Namespace: cr.Namespace, Fields: cr.Fields, Conditions: cr.Conditions})
		}
	}
	return w
}

// splitList reads "a,ns:b": a bare name takes the base namespace; "a:b:c" and ":b" are dropped.
// Entries are not trimmed, and an empty one stays (as a name that never resolves).
func splitList(key string, env map[string]string, base string, note func(string, ...any)) []Dependency {
	v := env[key]
	if v == "" {
		return nil
	}
	var out []Dependency
	for _, entry := range strings.Split(v, ",") {
		if !strings.Contains(entry, ":") {
			out = append(out, Dependency{Name: entry, Namespace: base})
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 2 {
			note("%s entry %q dropped: want namespace:name", key, entry)
			continue
		}
		if parts[0] == "" {
			note("%s entry %q dropped: empty namespace", key, entry)
			continue
		}
		out = append(out, Dependency{Name: parts[1], Namespace: parts[0]})
	}
	return out
}
