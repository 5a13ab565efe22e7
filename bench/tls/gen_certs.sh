#!/usr/bin/env bash
# gen_certs.sh OUTDIR [ecdsa|rsa]: a throw-away CA and a server certificate for
# the TLS benchmarks, made with openssl at run time (nothing secret is kept in
# the repository). Writes OUTDIR/ca.pem (the trust anchor clients load),
# OUTDIR/cert.pem (the server certificate, signed directly by that CA: the only
# certificate the server sends), OUTDIR/key.pem (its key, PKCS#8), valid for
# 7 days. The server certificate names DNS:localhost and IP:127.0.0.1.
#   ecdsa (default): ECDSA P-256 keys, ecdsa-with-SHA256 signatures: the common
#                    default for new certificates, and the key type of the
#                    "ecdsa" rows in rustls's published handshake figures
#   rsa:             RSA-2048 keys, sha256WithRSAEncryption
set -euo pipefail
out="${1:?usage: gen_certs.sh OUTDIR [ecdsa|rsa]}"
kind="${2:-ecdsa}"
OPENSSL="${OPENSSL:-openssl}"
case "$kind" in
  ecdsa) keyopts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve) ;;
  rsa)   keyopts=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
  *) echo "gen_certs.sh: key type must be ecdsa or rsa, not '$kind'" >&2; exit 2 ;;
esac
mkdir -p "$out"
cd "$out"
"$OPENSSL" genpkey "${keyopts[@]}" -out ca-key.pem 2>/dev/null
"$OPENSSL" req -x509 -new -key ca-key.pem -sha256 -days 7 -subj "/CN=kiwi bench CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem
"$OPENSSL" genpkey "${keyopts[@]}" -out key.pem 2>/dev/null
"$OPENSSL" req -new -key key.pem -subj "/CN=localhost" -out server.csr
cat >server.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
"$OPENSSL" x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
  -sha256 -days 7 -extfile server.ext -out cert.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
echo "$out: $kind CA (ca.pem), server certificate (cert.pem) and key (key.pem)" >&2
