package agent

// The API access the agent of a node needs, as controller-gen markers:
// go tool controller-gen rbac:roleName=NAME paths=./kube/agent/... output:rbac:stdout
// prints the ClusterRole.

// +kubebuilder:rbac:groups=vmhost.dev,resources=guests,verbs=get;list;watch
// +kubebuilder:rbac:groups=vmhost.dev,resources=guests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get
// +kubebuilder:rbac:groups="",resources=persistentvolumes,verbs=get
