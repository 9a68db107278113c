package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GuestSpec is what the owner of a guest wants of it.
//
// +kubebuilder:validation:XValidation:rule="self.name == self.owner || self.name.matches('^[a-z0-9][a-z0-9-]{0,31}$')",message="name is the owner's name (the default guest) or a host name: lower-case letters, digits and -, at most 32"
type GuestSpec struct {
	// Owner is the vmhost user the guest belongs to (vmhost's user name rule).
	//
	// +kubebuilder:validation:Pattern=`^[a-z_][a-z0-9_-]{0,31}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="owner cannot change"
	Owner string `json:"owner"`

	// Name is the guest's name: the owner's name for the owner's default
	// guest (ssh alice@...), another host name for a named one
	// (ssh alice+web@...).
	//
	// +kubebuilder:validation:Pattern=`^[a-z0-9_][a-z0-9_-]{0,31}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="name cannot change"
	Name string `json:"name"`

	// Image is the vmhost image the guest's root file system comes from.
	//
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9._-]{0,62}$`
	// +optional
	Image string `json:"image,omitempty"`

	// Limits are the guest's resource limits; cpus and memory are also the
	// requests of its placeholder pod, so the scheduler places it where
	// they fit.
	// +optional
	Limits GuestLimits `json:"limits,omitempty"`

	// Running says whether the guest should run.
	// +optional
	Running bool `json:"running,omitempty"`

	// Storage says where the guest's files live.
	// +optional
	Storage GuestStorage `json:"storage,omitempty"`

	// Class is an optional label naming the class the guest belongs to.
	//
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{0,31}$`
	// +optional
	Class string `json:"class,omitempty"`
}

// GuestLimits are a guest's resource limits.
type GuestLimits struct {
	// CPUs is a number of cores, such as 1 or 500m.
	// +optional
	CPUs *resource.Quantity `json:"cpus,omitempty"`

	// Memory is the memory limit, such as 512Mi.
	// +optional
	Memory *resource.Quantity `json:"memory,omitempty"`

	// Disk is how much the guest's own files may take, such as 10Gi.
	// +optional
	Disk *resource.Quantity `json:"disk,omitempty"`

	// Pids is the maximum number of processes.
	//
	// +kubebuilder:validation:Minimum=1
	// +optional
	Pids int64 `json:"pids,omitempty"`
}

// StorageClass says where a guest's files live.
//
// +kubebuilder:validation:Enum=local;volume
type StorageClass string

const (
	// StorageLocal keeps the guest's files on its node's disk: they are
	// lost with the node.
	StorageLocal StorageClass = "local"
	// StorageVolume keeps the guest's files on a PersistentVolumeClaim, so
	// the guest can start on another node when its node dies.
	StorageVolume StorageClass = "volume"
)

// GuestStorage is where a guest's files live.
//
// +kubebuilder:validation:XValidation:rule="self.class != 'volume' || (has(self.claim) && size(self.claim) > 0)",message="a volume guest names its PersistentVolumeClaim in claim"
type GuestStorage struct {
	// Class is local (the default: files on the node, lost with it) or
	// volume (files on the PersistentVolumeClaim named by claim).
	//
	// +kubebuilder:default=local
	// +optional
	Class StorageClass `json:"class,omitempty"`

	// Claim names the PersistentVolumeClaim, in the Guest's namespace, of a
	// volume guest.
	//
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Claim string `json:"claim,omitempty"`
}

// Phase is where a guest is in its life.
//
// +kubebuilder:validation:Enum=Pending;Scheduled;Starting;Running;Stopped;Lost
type Phase string

const (
	// PhasePending: the guest should run and waits for a node; the
	// message says why (the scheduler's reason).
	PhasePending Phase = "Pending"
	// PhaseScheduled: a node was chosen; its agent has not started the
	// guest yet.
	PhaseScheduled Phase = "Scheduled"
	// PhaseStarting: the node's agent is starting the guest.
	PhaseStarting Phase = "Starting"
	// PhaseRunning: the guest runs on status.node.
	PhaseRunning Phase = "Running"
	// PhaseStopped: the guest does not run.
	PhaseStopped Phase = "Stopped"
	// PhaseLost: the guest's files were on a node that is gone.
	PhaseLost Phase = "Lost"
)

// GuestStatus is how a guest is, as the controller and its node's agent saw
// it last.
type GuestStatus struct {
	// Phase is where the guest is in its life.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Node is the node the guest is placed on.
	// +optional
	Node string `json:"node,omitempty"`

	// Home is the node that holds a local guest's files, from the first
	// time it was placed: its later pods go to that node only, and its
	// loss is the guest's.
	// +optional
	Home string `json:"home,omitempty"`

	// Pod is the name of the guest's placeholder pod.
	// +optional
	Pod string `json:"pod,omitempty"`

	// Agent is host:port of the node's agent, where gateways carry the
	// guest's sessions.
	// +optional
	Agent string `json:"agent,omitempty"`

	// Address is the guest's address on its node.
	// +optional
	Address string `json:"address,omitempty"`

	// Message says, in words, why the guest is in its phase (such as the
	// scheduler's reason for a Pending guest).
	// +optional
	Message string `json:"message,omitempty"`

	// Conditions are the guest's conditions (Scheduled, Lost).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec the controller saw
	// last.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// Guest is one vmhost guest placed on a Kubernetes cluster. Its name is
// ResourceName(spec.owner, spec.name): the API server checks the readable
// form, the controller and agents the encoded one too.
//
// +kubebuilder:validation:XValidation:rule="(self.spec.owner.matches('^[a-z0-9]([a-z0-9-]*[a-z0-9])?$') && self.spec.name.matches('^[a-z0-9]([a-z0-9-]*[a-z0-9])?$')) ? self.metadata.name == (self.spec.name == self.spec.owner ? self.spec.owner : self.spec.owner + '.' + self.spec.name) : self.metadata.name.startsWith('x.')",message="the name of a Guest is OWNER for the owner's default guest, OWNER.NAME for a named one (x.B32(OWNER).B32(NAME) when either has _ or an edge -)"
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=gu
// +kubebuilder:selectablefield:JSONPath=`.status.node`
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.status.node`
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=`.status.address`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Guest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   GuestSpec   `json:"spec"`
	Status GuestStatus `json:"status,omitempty"`
}

// GuestList is a list of Guests.
//
// +kubebuilder:object:root=true
type GuestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Guest `json:"items"`
}
