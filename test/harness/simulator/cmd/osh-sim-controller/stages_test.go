package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The gated Job stages of test/harness/manifests/kwok-stages.yaml, read as kwok reads them: the
// selectors' paths evaluated on the pod as JSON, the status template rendered with kwok's Quote
// and Now. (kwok itself is not a dependency; these are the few forms the stages use.)

type stage struct {
	Metadata struct{ Name string }
	Spec     struct {
		Selector struct {
			MatchAnnotations map[string]string `json:"matchAnnotations"`
			MatchExpressions []struct {
				Key      string
				Operator string
				Values   []string
			} `json:"matchExpressions"`
		}
		Next struct {
			StatusTemplate string `json:"statusTemplate"`
		}
	}
}

func loadStages(t *testing.T) map[string]stage {
	t.Helper()
	raw, err := os.ReadFile("../../../manifests/kwok-stages.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]stage{}
	for _, doc := range regexp.MustCompile(`(?m)^---$`).Split(string(raw), -1) {
		var s stage
		if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatalf("stage: %v", err)
		}
		if s.Metadata.Name != "" {
			out[s.Metadata.Name] = s
		}
	}
	return out
}

var pathPart = regexp.MustCompile(`^\.?(?:([A-Za-z0-9_]+)|\["([^"]+)"\]|\[\]|\[(\d+)\])`)

// values evaluates a selector key (`.a.b`, `["k"]`, `.[]`, `.[0]`) on a JSON value.
func values(t *testing.T, v any, path string) []any {
	t.Helper()
	cur := []any{v}
	for path != "" {
		m := pathPart.FindStringSubmatch(path)
		if m == nil {
			t.Fatalf("path %q: not a form this test reads", path)
		}
		path = path[len(m[0]):]
		var next []any
		for _, c := range cur {
			switch {
			case m[1] != "" || m[2] != "":
				if o, ok := c.(map[string]any); ok && o[m[1]+m[2]] != nil {
					next = append(next, o[m[1]+m[2]])
				}
			case m[3] != "":
				i, _ := strconv.Atoi(m[3])
				if l, ok := c.([]any); ok && i < len(l) {
					next = append(next, l[i])
				}
			default:
				if l, ok := c.([]any); ok {
					next = append(next, l...)
				}
			}
		}
		cur = next
	}
	return cur
}

func matches(t *testing.T, s stage, pod *corev1.Pod) bool {
	t.Helper()
	b, _ := json.Marshal(pod)
	var obj any
	json.Unmarshal(b, &obj)
	for k, v := range s.Spec.Selector.MatchAnnotations {
		if pod.Annotations[k] != v {
			return false
		}
	}
	for _, e := range s.Spec.Selector.MatchExpressions {
		got := values(t, obj, e.Key)
		in := false
		for _, g := range got {
			for _, v := range e.Values {
				in = in || g == v
			}
		}
		ok := map[string]bool{"Exists": len(got) > 0, "DoesNotExist": len(got) == 0, "In": in, "NotIn": !in}
		if r, known := ok[e.Operator]; !known {
			t.Fatalf("operator %s", e.Operator)
		} else if !r {
			return false
		}
	}
	return true
}

// render applies a stage's status template to the pod as kwok does (funcs: Quote, Now).
func render(t *testing.T, s stage, pod *corev1.Pod, now time.Time) corev1.PodStatus {
	t.Helper()
	funcs := template.FuncMap{
		"Now": func() string { return now.Format(time.RFC3339Nano) },
		"Quote": func(v any) string {
			b, _ := json.Marshal(v)
			if len(b) > 0 && b[0] == '"' {
				return string(b)
			}
			return strconv.Quote(string(b))
		},
	}
	tpl, err := template.New("status").Funcs(funcs).Parse(strings.TrimSpace(s.Spec.Next.StatusTemplate))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(pod)
	var data any
	json.Unmarshal(b, &data)
	var out bytes.Buffer
	if err := tpl.Execute(&out, data); err != nil {
		t.Fatal(err)
	}
	var st corev1.PodStatus
	if err := yaml.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("%v in\n%s", err, out.String())
	}
	return st
}

func TestFailingJobPodsFailWithTheirMessage(t *testing.T) {
	stages := loadStages(t)
	complete, fail := stages["osh-dep-job-complete"], stages["osh-dep-job-fail"]
	if fail.Metadata.Name == "" || complete.Metadata.Name == "" {
		t.Fatal("the gated Job stages are missing")
	}
	// A released ks-endpoints pod with two containers, running.
	pod := entrypointPod("glance-ks-endpoints-x1", "u1", ownedBy("Job", "glance-ks-endpoints"), nil)
	pod.Spec.Containers = []corev1.Container{{Name: "image-ks-endpoints-admin", Image: "img"}, {Name: "image-ks-endpoints-public", Image: "img"}}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = "10.0.0.9"
	pod.Annotations = map[string]string{annDepsReady: "true", annReadyAt: t0.Format(time.RFC3339Nano), annDoneAt: t0.Format(time.RFC3339Nano)}

	if !matches(t, complete, pod) || matches(t, fail, pod) {
		t.Fatal("a Job pod without osh-sim.dev/fail completes and does not fail")
	}
	message := "ERROR: \"admin\" endpoint refused\nTraceback (most recent call last):\n  ...: café"
	pod.Annotations[annFail] = message
	if matches(t, complete, pod) || !matches(t, fail, pod) {
		t.Fatal("a Job pod with osh-sim.dev/fail fails and does not complete")
	}
	st := render(t, fail, pod, t0.Add(time.Second))
	if st.Phase != corev1.PodFailed || len(st.ContainerStatuses) != 2 {
		t.Fatalf("status = %+v", st)
	}
	first, second := st.ContainerStatuses[0].State.Terminated, st.ContainerStatuses[1].State.Terminated
	if first == nil || first.ExitCode != 1 || first.Reason != "Error" || first.Message != message || !first.FinishedAt.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("first container = %+v", st.ContainerStatuses[0])
	}
	if second == nil || second.ExitCode != 0 || second.Message != "" {
		t.Errorf("second container = %+v", st.ContainerStatuses[1])
	}
	for _, c := range st.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionFalse {
			t.Errorf("Ready = %s", c.Status)
		}
	}

	// Neither stage touches a pod of another owner.
	pod.OwnerReferences = []metav1.OwnerReference{ownedBy("ReplicaSet", "glance-api-7c9")}
	if matches(t, complete, pod) || matches(t, fail, pod) {
		t.Error("a Deployment's pod matched a Job stage")
	}
}
