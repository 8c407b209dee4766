package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"log"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// event is one line of timeline.jsonl.
type event struct {
	Pod            string  `json:"pod"`
	Namespace      string  `json:"namespace"`
	UID            string  `json:"uid"`
	Owner          string  `json:"owner"`
	Event          string  `json:"event"` // created, deps-met, ready, succeeded, failed
	T              float64 `json:"t"`     // seconds since the simulator started
	LastDependency string  `json:"lastDependency,omitempty"`
}

// timeline appends each pod event once per pod UID, one unbuffered write per line. A restarted
// controller reads the file back so that it does not repeat events.
type timeline struct {
	mu    sync.Mutex
	f     *os.File // nil: events are only counted in seen
	start time.Time
	seen  map[string]bool // uid/event
}

func openTimeline(path string, start time.Time) (*timeline, error) {
	tl := &timeline{start: start, seen: map[string]bool{}}
	if path == "" {
		return tl, nil
	}
	if old, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(old)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				tl.seen[e.UID+"/"+e.Event] = true
			}
		}
		old.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	tl.f = f
	return tl, nil
}

func (tl *timeline) close() {
	if tl.f != nil {
		tl.f.Close()
	}
}

// record writes the event unless this pod already had it.
func (tl *timeline) record(p *corev1.Pod, name string, at time.Time, lastDependency string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	key := string(p.UID) + "/" + name
	if tl.seen[key] {
		return
	}
	tl.seen[key] = true
	if tl.f == nil {
		return
	}
	kind, owner := ownerOf(p)
	b, _ := json.Marshal(event{Pod: p.Name, Namespace: p.Namespace, UID: string(p.UID), Owner: kind + "/" + owner, Event: name,
		T: math.Round(at.Sub(tl.start).Seconds()*1000) / 1000, LastDependency: lastDependency})
	if _, err := tl.f.Write(append(b, '\n')); err != nil {
		log.Printf("timeline: %v", err)
	}
}

// observe records what a pod update shows: its creation, Ready, Succeeded or Failed.
func (tl *timeline) observe(p *corev1.Pod, now time.Time) {
	tl.record(p, "created", stamp(now, p.CreationTimestamp.Time), "")
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			tl.record(p, "ready", stamp(now, c.LastTransitionTime.Time), "")
		}
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		var finished metav1.Time
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && finished.Before(&t.FinishedAt) {
				finished = t.FinishedAt
			}
		}
		name := "succeeded"
		if p.Status.Phase == corev1.PodFailed {
			name = "failed"
		}
		tl.record(p, name, stamp(now, finished.Time), "")
	}
}

// stamp is when something happened: now, unless the object's own (whole-second) timestamp is
// clearly older, as for what the first list after a restart shows.
func stamp(now, at time.Time) time.Time {
	if !at.IsZero() && at.Before(now.Add(-2*time.Second)) {
		return at
	}
	return now
}

// simStart is the simulator's start: $DIR/run/started-at (written by cluster-up.sh) if readable,
// else fallback.
func simStart(path string, fallback time.Time) time.Time {
	b, err := os.ReadFile(path)
	if err != nil {
		return fallback
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		log.Printf("%s: %v; timing from the controller's start", path, err)
		return fallback
	}
	return t
}

// ownerOf names the workload a pod belongs to; a ReplicaSet's pods belong to its Deployment,
// whose name is the ReplicaSet's without the pod-template-hash suffix.
func ownerOf(p *corev1.Pod) (kind, name string) {
	ref := metav1.GetControllerOf(p)
	if ref == nil && len(p.OwnerReferences) > 0 {
		ref = &p.OwnerReferences[0]
	}
	if ref == nil {
		return "Pod", p.Name
	}
	if h := p.Labels["pod-template-hash"]; ref.Kind == "ReplicaSet" && h != "" && strings.HasSuffix(ref.Name, "-"+h) {
		return "Deployment", strings.TrimSuffix(ref.Name, "-"+h)
	}
	return ref.Kind, ref.Name
}
