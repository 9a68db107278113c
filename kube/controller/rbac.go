package controller

// The API access the controller needs, as controller-gen markers:
// go tool controller-gen rbac:roleName=NAME paths=./kube/controller/... output:rbac:stdout
// prints the ClusterRole.

// +kubebuilder:rbac:groups=vmhost.dev,resources=guests,verbs=get;list;watch
// +kubebuilder:rbac:groups=vmhost.dev,resources=guests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
