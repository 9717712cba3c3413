// Command pki writes the certificates and keys of the project's control plane.
//
//	pki -dir DIR -node NAME -node-ip IP [-san IP]...
//
// One CA signs everything: kube-apiserver's serving certificate, the client
// certificates of each identity (admin, kube-controller-manager, the node
// agent, the suite's non-admin user, kube-apiserver towards the kubelet) and
// the node agent's kubelet serving certificate. The service-account key pair
// signs and verifies service-account tokens. Existing files are kept, so a
// restart reuses them; `make controlplane-down` removes the directory.
//
// Written in Go (crypto/x509) rather than as openssl commands: the Go
// toolchain is already needed for the control plane, the result is the same
// on every machine (no openssl/LibreSSL flag differences for SANs and key
// usages), and it needs no config files.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const validity = 10 * 365 * 24 * time.Hour

type ipList []net.IP

func (l *ipList) String() string { return fmt.Sprint(*l) }
func (l *ipList) Set(s string) error {
	ip := net.ParseIP(s)
	if ip == nil {
		return fmt.Errorf("%q is not an IP address", s)
	}
	*l = append(*l, ip)
	return nil
}

// client is one identity that authenticates with a client certificate.
type client struct {
	file   string
	user   string
	groups []string
}

func main() {
	dir := flag.String("dir", "", "directory to write the files into (created if missing)")
	node := flag.String("node", "budspec-node", "the node agent's node name")
	nodeIP := flag.String("node-ip", "", "the node's InternalIP (the kubelet serving certificate's address)")
	serviceIP := flag.String("service-ip", "10.0.0.1", "the kubernetes Service's cluster IP")
	var sans ipList
	flag.Var(&sans, "san", "an extra IP address of kube-apiserver's serving certificate (repeatable)")
	flag.Parse()
	if *dir == "" || net.ParseIP(*nodeIP) == nil {
		fmt.Fprintln(os.Stderr, "pki: -dir and a valid -node-ip are required")
		os.Exit(2)
	}
	if err := run(*dir, *node, net.ParseIP(*nodeIP), net.ParseIP(*serviceIP), sans); err != nil {
		fmt.Fprintln(os.Stderr, "pki:", err)
		os.Exit(1)
	}
}

func run(dir, node string, nodeIP, serviceIP net.IP, sans []net.IP) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caCert, caKey, err := authority(dir)
	if err != nil {
		return err
	}
	apiserverIPs := append([]net.IP{net.IPv4(127, 0, 0, 1), serviceIP}, sans...)
	apiserverNames := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local"}
	if err := serving(dir, "apiserver", "kube-apiserver", apiserverNames, apiserverIPs, caCert, caKey); err != nil {
		return err
	}
	if err := serving(dir, "kubelet", node, []string{node}, []net.IP{nodeIP}, caCert, caKey); err != nil {
		return err
	}
	clients := []client{
		{"admin", "budspec:admin", []string{"system:masters"}},
		{"controller-manager", "system:kube-controller-manager", nil},
		{"node", "system:node:" + node, []string{"system:nodes"}},
		{"apiserver-kubelet-client", "kube-apiserver-kubelet-client", nil},
		{"suite", "budaiscaler-spec", []string{"budaiscaler-spec"}},
	}
	for _, c := range clients {
		if err := clientCert(dir, c, caCert, caKey); err != nil {
			return err
		}
	}
	return serviceAccountKeys(dir)
}

func exists(paths ...string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

func authority(dir string) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if exists(certPath, keyPath) {
		return load(certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	template := base(pkix.Name{CommonName: "budaiscaler-spec control plane CA"})
	template.IsCA, template.BasicConstraintsValid = true, true
	template.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	if err := write(certPath, keyPath, der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func serving(dir, file, name string, dnsNames []string, ips []net.IP, ca *x509.Certificate, caKey crypto.Signer) error {
	template := base(pkix.Name{CommonName: name})
	template.DNSNames, template.IPAddresses = dnsNames, ips
	template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return issue(dir, file, template, ca, caKey)
}

func clientCert(dir string, c client, ca *x509.Certificate, caKey crypto.Signer) error {
	template := base(pkix.Name{CommonName: c.user, Organization: c.groups})
	template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return issue(dir, c.file, template, ca, caKey)
}

func issue(dir, file string, template, ca *x509.Certificate, caKey crypto.Signer) error {
	certPath, keyPath := filepath.Join(dir, file+".crt"), filepath.Join(dir, file+".key")
	if exists(certPath, keyPath) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	template.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, template, ca, key.Public(), caKey)
	if err != nil {
		return err
	}
	return write(certPath, keyPath, der, key)
}

// serviceAccountKeys writes sa.key (signs tokens) and sa.pub (verifies them); RSA, which every
// Kubernetes version and every token consumer accepts.
func serviceAccountKeys(dir string) error {
	keyPath, pubPath := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if exists(keyPath, pubPath) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := writePEM(pubPath, "PUBLIC KEY", pub, 0o644); err != nil {
		return err
	}
	return writePEM(keyPath, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), 0o600)
}

func base(subject pkix.Name) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now().Add(-time.Hour) // tolerate a little clock skew between processes
	return &x509.Certificate{SerialNumber: serial, Subject: subject, NotBefore: now, NotAfter: now.Add(validity)}
}

func write(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(keyPath, "EC PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", der, 0o644)
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), mode)
}

func load(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	certBlock, keyBlock := decode(certPEM), decode(keyPEM)
	if certBlock == nil || keyBlock == nil {
		return nil, nil, errors.New(strings.Join([]string{certPath, keyPath}, " or ") + " is not PEM")
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	return cert, key, err
}

func decode(data []byte) *pem.Block {
	block, _ := pem.Decode(data)
	return block
}
