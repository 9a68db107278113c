// Package v1alpha1 is the vmhost.dev/v1alpha1 API: the Guest custom resource
// that places a vmhost guest on a Kubernetes cluster. A Guest says whose guest
// it is, its image and limits, whether it should run and where its files live;
// its status says where it runs and how it is.
//
// +kubebuilder:object:generate=true
// +groupName=vmhost.dev
package v1alpha1
