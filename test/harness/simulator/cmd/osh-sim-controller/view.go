package main

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	appslisters "k8s.io/client-go/listers/apps/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"

	"openstack-helm-pulumi/harness/simulator/internal/kube"
)

// clusterView answers the resolver from the informers' caches; custom resources, which have no
// informer, are read from the API server (kube.CRReader).
type clusterView struct {
	pods      corelisters.PodLister
	jobs      batchlisters.JobLister
	slices    discoverylisters.EndpointSliceLister
	endpoints corelisters.EndpointsLister //nolint:staticcheck // the entrypoint's fallback
	daemons   appslisters.DaemonSetLister
	crs       *kube.CRReader
}

func (v *clusterView) EndpointSlices(ns, service string) []*discoveryv1.EndpointSlice {
	s, _ := v.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: service}))
	return s
}

func (v *clusterView) Endpoints(ns, name string) *corev1.Endpoints { //nolint:staticcheck
	e, _ := v.endpoints.Endpoints(ns).Get(name)
	return e
}

func (v *clusterView) Job(ns, name string) *batchv1.Job {
	j, _ := v.jobs.Jobs(ns).Get(name)
	return j
}

func (v *clusterView) Jobs(ns string, sel labels.Selector) []*batchv1.Job {
	j, _ := v.jobs.Jobs(ns).List(sel)
	return j
}

func (v *clusterView) Pod(ns, name string) *corev1.Pod {
	p, _ := v.pods.Pods(ns).Get(name)
	return p
}

func (v *clusterView) Pods(ns string, sel labels.Selector) []*corev1.Pod {
	p, _ := v.pods.Pods(ns).List(sel)
	return p
}

func (v *clusterView) DaemonSet(ns, name string) *appsv1.DaemonSet {
	d, _ := v.daemons.DaemonSets(ns).Get(name)
	return d
}

func (v *clusterView) CustomResource(apiVersion, kind, ns, name string) (map[string]any, error) {
	return v.crs.Get(apiVersion, kind, ns, name)
}
