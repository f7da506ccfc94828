// Signs and verifies C2SP signed notes with golang.org/x/mod/sumdb/note, the reference
// implementation, so the tests can check mcp-warden's notes and keys against it.
//
//	note-go keygen NAME          prints the signer key, then the verifier key
//	note-go sign SKEY < TEXT     prints the signed note
//	note-go open VKEY < NOTE     prints the note text when VKEY's signature verifies
package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 3 {
		return fmt.Errorf("usage: note-go keygen NAME | sign SKEY | open VKEY")
	}
	switch os.Args[1] {
	case "keygen":
		skey, vkey, err := note.GenerateKey(nil, os.Args[2])
		if err != nil {
			return err
		}
		fmt.Printf("%s\n%s\n", skey, vkey)
		return nil
	case "sign":
		signer, err := note.NewSigner(os.Args[2])
		if err != nil {
			return err
		}
		text, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(msg)
		return err
	case "open":
		verifier, err := note.NewVerifier(os.Args[2])
		if err != nil {
			return err
		}
		msg, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		n, err := note.Open(msg, note.VerifierList(verifier))
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write([]byte(n.Text))
		return err
	}
	return fmt.Errorf("unknown command %q", os.Args[1])
}
