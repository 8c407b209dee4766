package main

import (
	"context"
	"strings"
	"time"

	"openstack-helm-pulumi/harness/simulator/internal/deps"
)

// waiter polls one entrypoint's dependencies until all are met.
type waiter struct {
	view     deps.View
	interval time.Duration
	sleep    func(context.Context, time.Duration) error
	now      func() time.Time
	stat     func(path string) error // DEPENDENCY_SOCKET: met once the path exists
	logf     func(format string, args ...any)
}

// wait returns once every dependency of env has been met (each is checked until it is, then
// never again), one interval after the last check, or with ctx's error.
func (w *waiter) wait(ctx context.Context, env map[string]string) error {
	spec := deps.Parse(env)
	for _, n := range spec.Notes {
		w.logf("warning: %s", n)
	}
	socks := sockets(env)
	tracker := deps.NewTracker([]deps.Wait{spec})
	depLogged := make([]bool, len(spec.Deps))
	sockMet := make([]bool, len(socks))
	var lastLog time.Time
	for {
		now := w.now()
		done := tracker.Evaluate(w.view, now)
		for i, d := range spec.Deps {
			if !depLogged[i] && !tracker.MetAt(0, i).IsZero() {
				depLogged[i] = true
				w.logf("dependency %s is resolved", d)
			}
		}
		for i, s := range socks {
			if !sockMet[i] && w.stat(s) == nil {
				sockMet[i] = true
				w.logf("socket %s is resolved", s)
			}
			done = done && sockMet[i]
		}
		if err := w.sleep(ctx, w.interval); err != nil {
			return err
		}
		if done {
			return nil
		}
		// What is still awaited, and why: at the first poll and every 30 s after (the reasons
		// are asked of the API server again).
		if lastLog.IsZero() || now.Sub(lastLog) >= 30*time.Second {
			lastLog = now
			if parts := w.unmet(tracker, socks, sockMet); len(parts) > 0 {
				w.logf("waiting for %s", strings.Join(parts, "; "))
			}
		}
	}
}

func (w *waiter) unmet(t *deps.Tracker, socks []string, sockMet []bool) []string {
	var parts []string
	for _, r := range t.Unmet(w.view) {
		d := deps.Dependency{Kind: r.Kind, Name: r.Name, Namespace: r.Namespace, Labels: r.Labels,
			RequireSameNode: r.RequireSameNode, APIVersion: r.APIVersion, ResourceKind: r.ResourceKind}
		parts = append(parts, d.String()+" ("+r.Why+")")
	}
	for i, s := range socks {
		if !sockMet[i] {
			parts = append(parts, "socket "+s+" (does not exist)")
		}
	}
	return parts
}
