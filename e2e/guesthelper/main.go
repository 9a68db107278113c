// Command guesthelper is what the e2e tests upload into a busybox guest for
// what busybox cannot do: talk to Unix sockets and to an SSH agent. It is
// built static, so it runs in any guest.
//
//	guesthelper unix-get PATH          connect to PATH, send stdin, print the answer
//	guesthelper unix-serve PATH TEXT   answer every connection to PATH with TEXT
//	guesthelper agent-list             print the keys of $SSH_AUTH_SOCK, like ssh-add -L
//	guesthelper agent-sign             sign with the agent's first key and verify it
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "guesthelper: %v\n", err)
		os.Exit(1)
	}
}

// run runs the subcommand args names.
func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "unix-get":
		return unixGet(args[1])
	case len(args) == 3 && args[0] == "unix-serve":
		return unixServe(args[1], args[2])
	case len(args) == 1 && args[0] == "agent-list":
		return agentList()
	case len(args) == 1 && args[0] == "agent-sign":
		return agentSign()
	}
	return errors.New("usage: guesthelper unix-get PATH | unix-serve PATH TEXT | agent-list | agent-sign")
}

// unixGet sends stdin to the socket at path and copies the answer to stdout.
func unixGet(path string) error {
	c, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.Copy(c, os.Stdin); err != nil {
		return err
	}
	c.(*net.UnixConn).CloseWrite()
	_, err = io.Copy(os.Stdout, c)
	return err
}

// unixServe answers every connection to a socket at path with text.
func unixServe(path, text string) error {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		io.WriteString(c, text)
		c.Close()
	}
}

// agentClient connects to the agent at $SSH_AUTH_SOCK.
func agentClient() (agent.ExtendedAgent, error) {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, errors.New("SSH_AUTH_SOCK is not set")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	return agent.NewClient(c), nil
}

// agentList prints the agent's keys in authorized_keys format.
func agentList() error {
	a, err := agentClient()
	if err != nil {
		return err
	}
	keys, err := a.List()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("the agent has no identities")
	}
	for _, k := range keys {
		fmt.Printf("%s %s\n", bytes.TrimSpace(ssh.MarshalAuthorizedKey(k)), k.Comment)
	}
	return nil
}

// agentSign has the agent sign data with its first key and checks the
// signature.
func agentSign() error {
	a, err := agentClient()
	if err != nil {
		return err
	}
	keys, err := a.List()
	if err != nil || len(keys) == 0 {
		return fmt.Errorf("listing keys: %v (%d keys)", err, len(keys))
	}
	data := []byte("vmhost e2e agent round trip")
	sig, err := a.Sign(keys[0], data)
	if err != nil {
		return err
	}
	if err := keys[0].Verify(data, sig); err != nil {
		return err
	}
	fmt.Println("signature ok")
	return nil
}
