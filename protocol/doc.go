// Package protocol is what the daemon and a guest's init share: the messages
// of the control socket (Request, Reply, SpawnRequest, ExitStatus) and their
// framing, and the handshake that starts an init (InitConfig, InitReady, the
// descriptors and names it is started with).
//
// Both sides import it; neither trusts the other's messages for more than
// their framing. The init (package guestinit) runs inside the guest, where
// the guest's root may reach it; the daemon (package guest) checks every
// reply's values and descriptors before it uses them.
package protocol
