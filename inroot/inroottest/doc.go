// Package inroottest makes trees that stand for a guest's root, with a host
// directory beside them, for the tests of code that must stay inside such a
// tree (packages inroot, guest and guestinit).
package inroottest
