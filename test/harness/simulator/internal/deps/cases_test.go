package deps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// The shared cases (test/fixtures/entrypoint-cases.json): the same pods and objects the
// product's stuck-install doctor (components/scripts/stuck-pods.cjs) is tested on, so the two
// implementations of kubernetes-entrypoint's rules cannot drift apart.
type sharedCase struct {
	Name    string            `json:"name"`
	Pod     json.RawMessage   `json:"pod"`
	Objects []json.RawMessage `json:"objects"`
	Unmet   []struct {
		Kind            Kind              `json:"kind"`
		Namespace       string            `json:"namespace"`
		Name            string            `json:"name"`
		Labels          map[string]string `json:"labels"`
		RequireSameNode bool              `json:"requireSameNode"`
	} `json:"unmet"`
}

func key(kind Kind, ns, name string, lbls map[string]string, sameNode bool) string {
	b, _ := json.Marshal([]any{kind, ns, name, lbls, sameNode})
	return string(b)
}

func TestSharedCases(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "fixtures", "entrypoint-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []sharedCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 20 {
		t.Fatalf("only %d shared cases", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var pod corev1.Pod
			if err := json.Unmarshal(c.Pod, &pod); err != nil {
				t.Fatal(err)
			}
			w := &world{crs: map[string]map[string]any{}}
			for _, o := range c.Objects {
				var head struct{ Kind string }
				_ = json.Unmarshal(o, &head)
				var err error
				switch head.Kind {
				case "Pod":
					p := &corev1.Pod{}
					err = json.Unmarshal(o, p)
					w.pods = append(w.pods, p)
				case "Job":
					j := &batchv1.Job{}
					err = json.Unmarshal(o, j)
					w.jobs = append(w.jobs, j)
				case "EndpointSlice":
					s := &discoveryv1.EndpointSlice{}
					err = json.Unmarshal(o, s)
					w.slices = append(w.slices, s)
				case "Endpoints":
					e := &corev1.Endpoints{} //nolint:staticcheck
					err = json.Unmarshal(o, e)
					w.endpoints = append(w.endpoints, e)
				case "DaemonSet":
					d := &appsv1.DaemonSet{}
					err = json.Unmarshal(o, d)
					w.daemons = append(w.daemons, d)
				default:
					t.Fatalf("object kind %q", head.Kind)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			// The doctor's world: the pod itself is there too (DaemonSet and same-node checks read it).
			w.pods = append(w.pods, &pod)
			var got, want []string
			for _, wait := range PodWaits(&pod) {
				for _, d := range wait.Deps {
					if ok, _ := Check(d, w, wait.Self); !ok {
						got = append(got, key(d.Kind, d.Namespace, d.Name, d.Labels, d.RequireSameNode))
					}
				}
			}
			for _, u := range c.Unmet {
				want = append(want, key(u.Kind, u.Namespace, u.Name, u.Labels, u.RequireSameNode))
			}
			sort.Strings(got)
			sort.Strings(want)
			if len(got) != len(want) {
				t.Fatalf("unmet %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("unmet %v, want %v", got, want)
				}
			}
		})
	}
}
