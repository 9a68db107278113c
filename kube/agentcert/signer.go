package agentcert

import (
	"context"
	"fmt"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// DefaultValidity is how long an agent's certificate is valid unless its
// request asks for less; the agent renews it at two thirds of its life.
const DefaultValidity = 30 * 24 * time.Hour

// minValidity is the shortest certificate the signer issues.
const minValidity = 10 * time.Minute

// Signer approves and signs the agents' requests made for SignerName, and
// denies every other request made for it, saying why.
type Signer struct {
	Client client.Client
	CA     *CA
	// AgentUser is the agents' service account,
	// system:serviceaccount:NAMESPACE:NAME.
	AgentUser string
	// Validity bounds the certificates' life (default DefaultValidity).
	Validity time.Duration
}

// AgentUser is the user name of service account name in namespace ns.
func AgentUser(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

// SetupWithManager registers s with mgr, for requests made for SignerName.
func (s *Signer) SetupWithManager(mgr manager.Manager) error {
	ours := predicate.NewPredicateFuncs(func(o client.Object) bool {
		csr, ok := o.(*certv1.CertificateSigningRequest)
		return ok && csr.Spec.SignerName == SignerName
	})
	err := ctrl.NewControllerManagedBy(mgr).
		Named("agent-certificates").
		For(&certv1.CertificateSigningRequest{}, builder.WithPredicates(ours)).
		Complete(s)
	if err != nil {
		return fmt.Errorf("setting up the agents' certificate signer: %w", err)
	}
	return nil
}

// Reconcile decides the request named by req and, approved, signs it.
func (s *Signer) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var csr certv1.CertificateSigningRequest
	if err := s.Client.Get(ctx, req.NamespacedName, &csr); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if csr.Spec.SignerName != SignerName || len(csr.Status.Certificate) > 0 ||
		hasCondition(&csr, certv1.CertificateDenied) || hasCondition(&csr, certv1.CertificateFailed) {
		return ctrl.Result{}, nil
	}
	node, x509Req, err := Check(&csr, s.AgentUser)
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("denying a certificate request", "csr", csr.Name, "user", csr.Spec.Username, "reason", err.Error())
		return ctrl.Result{}, s.decide(ctx, &csr, certv1.CertificateDenied, "NotAnAgentRequest", "vmhost denies it: "+err.Error())
	}
	if !hasCondition(&csr, certv1.CertificateApproved) {
		if err := s.decide(ctx, &csr, certv1.CertificateApproved, "VmhostAgent", "the agent of node "+node); err != nil {
			return ctrl.Result{}, err
		}
	}
	cert, err := s.CA.Sign(x509Req, node, s.validity(&csr))
	if err != nil {
		return ctrl.Result{}, err
	}
	csr.Status.Certificate = cert
	if err := s.Client.Status().Update(ctx, &csr); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, fmt.Errorf("storing the certificate of node %s: %w", node, err)
	}
	ctrl.LoggerFrom(ctx).Info("signed an agent's certificate", "csr", csr.Name, "node", node)
	return ctrl.Result{}, nil
}

// decide adds condition kind to csr through its approval subresource.
func (s *Signer) decide(ctx context.Context, csr *certv1.CertificateSigningRequest, kind certv1.RequestConditionType, reason, msg string) error {
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: kind, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastUpdateTime: metav1.Now(),
	})
	if err := s.Client.SubResource("approval").Update(ctx, csr); err != nil {
		return fmt.Errorf("recording %s on request %s: %w", kind, csr.Name, err)
	}
	return nil
}

// validity is the life of csr's certificate: the signer's bound, or less
// when the request asks, never under minValidity.
func (s *Signer) validity(csr *certv1.CertificateSigningRequest) time.Duration {
	v := s.Validity
	if v == 0 {
		v = DefaultValidity
	}
	if e := csr.Spec.ExpirationSeconds; e != nil && time.Duration(*e)*time.Second < v {
		v = time.Duration(*e) * time.Second
	}
	return max(v, minValidity)
}

// hasCondition reports whether csr has a true condition of kind.
func hasCondition(csr *certv1.CertificateSigningRequest, kind certv1.RequestConditionType) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == kind && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
