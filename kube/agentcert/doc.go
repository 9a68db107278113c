// Package agentcert gives each node's vmhostd a serving certificate of its
// own, for its node's name only, through the cluster's
// CertificateSigningRequest API, as kubelets get theirs: the agent of a
// node asks (Request, Renew) with its service account token, bound to its
// pod, so the API server records the pod's node in the request; the
// controller (Signer) approves and signs, with the cluster CA, only a
// request of the agents' service account for the name of the node its
// token names, for server authentication. A node taken over holds a key
// that answers for that node alone.
package agentcert

// SignerName is the signer of agents' certificates.
const SignerName = "vmhost.dev/agent"

// NodeNameExtra is the user extra in which the API server names the node
// of a pod-bound service account token.
const NodeNameExtra = "authentication.kubernetes.io/node-name"
