package kube

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// Live is a deps.View that asks the API server on every call, as the entrypoint does on each
// of its polls. An object it cannot read counts as missing (the resolver keeps waiting);
// OnError, when set, hears why, except for "not found".
type Live struct {
	Client  kubernetes.Interface
	CRs     *CRReader
	Timeout time.Duration // per request; 0 means 10 s
	OnError func(what string, err error)
}

func (v *Live) ctx() (context.Context, context.CancelFunc) {
	t := v.Timeout
	if t == 0 {
		t = 10 * time.Second
	}
	return context.WithTimeout(context.Background(), t)
}

// failed reports err (unless it is "not found") and tells whether there was one.
func (v *Live) failed(what string, err error) bool {
	if err != nil && !apierrors.IsNotFound(err) && v.OnError != nil {
		v.OnError(what, err)
	}
	return err != nil
}

func (v *Live) EndpointSlices(ns, service string) []*discoveryv1.EndpointSlice {
	ctx, cancel := v.ctx()
	defer cancel()
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: service}).String()
	l, err := v.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if v.failed("list endpointslices "+ns+"/"+sel, err) {
		return nil
	}
	out := make([]*discoveryv1.EndpointSlice, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out
}

func (v *Live) Endpoints(ns, name string) *corev1.Endpoints { //nolint:staticcheck // the entrypoint's fallback
	ctx, cancel := v.ctx()
	defer cancel()
	e, err := v.Client.CoreV1().Endpoints(ns).Get(ctx, name, metav1.GetOptions{}) //nolint:staticcheck
	if v.failed("get endpoints "+ns+"/"+name, err) {
		return nil
	}
	return e
}

func (v *Live) Job(ns, name string) *batchv1.Job {
	ctx, cancel := v.ctx()
	defer cancel()
	j, err := v.Client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if v.failed("get job "+ns+"/"+name, err) {
		return nil
	}
	return j
}

func (v *Live) Jobs(ns string, sel labels.Selector) []*batchv1.Job {
	ctx, cancel := v.ctx()
	defer cancel()
	l, err := v.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if v.failed("list jobs "+ns+"/"+sel.String(), err) {
		return nil
	}
	out := make([]*batchv1.Job, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out
}

func (v *Live) Pod(ns, name string) *corev1.Pod {
	ctx, cancel := v.ctx()
	defer cancel()
	p, err := v.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if v.failed("get pod "+ns+"/"+name, err) {
		return nil
	}
	return p
}

func (v *Live) Pods(ns string, sel labels.Selector) []*corev1.Pod {
	ctx, cancel := v.ctx()
	defer cancel()
	l, err := v.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if v.failed("list pods "+ns+"/"+sel.String(), err) {
		return nil
	}
	out := make([]*corev1.Pod, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out
}

func (v *Live) DaemonSet(ns, name string) *appsv1.DaemonSet {
	ctx, cancel := v.ctx()
	defer cancel()
	d, err := v.Client.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
	if v.failed("get daemonset "+ns+"/"+name, err) {
		return nil
	}
	return d
}

func (v *Live) CustomResource(apiVersion, kind, ns, name string) (map[string]any, error) {
	return v.CRs.Get(apiVersion, kind, ns, name)
}
