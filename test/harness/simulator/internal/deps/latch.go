package deps

import "time"

// Tracker follows one pod's waits. Like the entrypoint, it latches: a dependency whose check
// passed once is never checked again. Init containers run one after another, so the waits of a
// container are only checked once every earlier one is met.
type Tracker struct {
	Waits []Wait
	metAt [][]time.Time // zero: not met yet
	stage int           // the wait being checked; len(Waits) when all are met
	// Last is the dependency met last, and LastAt when (zero while none has been met).
	Last   *Dependency
	LastAt time.Time
}

func NewTracker(waits []Wait) *Tracker {
	t := &Tracker{Waits: waits, metAt: make([][]time.Time, len(waits))}
	for i, w := range waits {
		t.metAt[i] = make([]time.Time, len(w.Deps))
	}
	return t
}

// Evaluate checks the current container's unmet dependencies at now and reports whether every
// wait of the pod is met.
func (t *Tracker) Evaluate(v View, now time.Time) bool {
	for t.stage < len(t.Waits) {
		w := t.Waits[t.stage]
		done := true
		for j, d := range w.Deps {
			if !t.metAt[t.stage][j].IsZero() {
				continue
			}
			if !Met(d, v, w.Self) {
				done = false
				continue
			}
			t.metAt[t.stage][j] = now
			t.Last, t.LastAt = &t.Waits[t.stage].Deps[j], now
		}
		if !done {
			return false
		}
		t.stage++
	}
	return true
}

// Done reports whether every wait was met at the last Evaluate.
func (t *Tracker) Done() bool { return t.stage >= len(t.Waits) }

// MetAt returns when dependency j of wait i was met, zero if not yet.
func (t *Tracker) MetAt(i, j int) time.Time { return t.metAt[i][j] }

// Unmet describes the unmet dependencies of the container being checked, re-checked against v
// for the reason.
func (t *Tracker) Unmet(v View) []Report {
	out := []Report{}
	if t.Done() {
		return out
	}
	w := t.Waits[t.stage]
	for j, d := range w.Deps {
		if !t.metAt[t.stage][j].IsZero() {
			continue
		}
		if ok, why := Check(d, v, w.Self); !ok {
			out = append(out, Describe(d, why))
		}
	}
	return out
}

// Report is an unmet dependency as the stall report lists it.
type Report struct {
	Kind            Kind              `json:"kind"`
	Name            string            `json:"name,omitempty"`
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels,omitempty"`
	RequireSameNode bool              `json:"requireSameNode,omitempty"`
	APIVersion      string            `json:"apiVersion,omitempty"`
	ResourceKind    string            `json:"resourceKind,omitempty"`
	Why             string            `json:"why"`
}

func Describe(d Dependency, why string) Report {
	return Report{Kind: d.Kind, Name: d.Name, Namespace: d.Namespace, Labels: d.Labels,
		RequireSameNode: d.RequireSameNode, APIVersion: d.APIVersion, ResourceKind: d.ResourceKind, Why: why}
}
