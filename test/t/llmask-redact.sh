#!/bin/sh
# llmask's redaction, form by form and at random, asserted on what
# --dry-run shows would be sent: each secret form (password flags of
# database, cache and registry clients, cloud storage keys and SAS
# signatures, API keys by prefix, kubeconfig fields, PGP and PEM private
# keys, registry auth JSON, base64 Secret data) is replaced and the text
# around it kept exactly; random generated tokens next to secret-like
# names in every form are all caught; and ordinary logs, objects and
# Prometheus series (the harness Prometheus's own metrics, promq's and
# statz's records) come through unchanged, but for two known prose lines.
# shellcheck disable=SC2016 # jq programs stay literal
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

# dry: one question about all records; nothing is sent (port 9).
dry() { llmask --url http://127.0.0.1:9 --dry-run -p x --max-input 100000000; }
# data_lines: the data block of the body on stdin, one record a line.
data_lines() { jq -r '.messages[-1].content' | sed -n '/^BEGIN DATA$/,/^END DATA$/p' | sed '1d;$d'; }

# --- one form a line: NAME, input record, what is sent ("=": unchanged) ---
cat >"$T_DIR/forms" <<'FORMS'
mysql -pSECRET	{"cmd":"mysql -h db -uroot -pS3cr3t-my shop"}	{"cmd":"mysql -h db -uroot -p[REDACTED] shop"}
mysqldump -pSECRET in container args	{"args":["mysqldump","-uroot","-pDump-pw-9","shop"]}	{"args":["mysqldump","-uroot","-p[REDACTED]","shop"]}
mysql after a newline in a log	{"log":"backup:\n/usr/bin/mysql -uroot -pNl-pw-8 -e status"}	{"log":"backup:\n/usr/bin/mysql -uroot -p[REDACTED] -e status"}
mysql -p alone prompts: the database stays	{"cmd":"mysql -u root -p shop"}	=
mysql --password=SECRET	{"cmd":"mysql --password=Long-pw-1 --user=root"}	{"cmd":"mysql --password=[REDACTED] --user=root"}
-pthread outside mysql stays	{"cmd":"cc -pthread -o app app.c"}	=
psql postgresql:// URI	{"cmd":"psql postgresql://app:Pg-uri-pw@db:5432/shop?sslmode=require"}	{"cmd":"psql postgresql://app:[REDACTED]@db:5432/shop?sslmode=require"}
a URI password with an unencoded @	{"dsn":"postgres://app:p@ss-w0rd@db/shop"}	{"dsn":"postgres://app:[REDACTED]@db/shop"}
PGPASSWORD=SECRET	{"cmd":"PGPASSWORD=Pg-env-pw psql -h db -U app shop"}	{"cmd":"PGPASSWORD=[REDACTED] psql -h db -U app shop"}
psql conninfo password=	{"cmd":"psql 'host=db user=app password=Pg-kv-pw dbname=shop'"}	{"cmd":"psql 'host=db user=app password=[REDACTED] dbname=shop'"}
redis-cli -a SECRET	{"cmd":"redis-cli -h cache -a R3dis-pw-7 --no-auth-warning ping"}	{"cmd":"redis-cli -h cache -a [REDACTED] --no-auth-warning ping"}
ls -a outside redis-cli stays	{"cmd":"ls -a /tmp"}	=
REDISCLI_AUTH=SECRET	{"env":"REDISCLI_AUTH=R3dis-env-8 redis-cli ping"}	{"env":"REDISCLI_AUTH=[REDACTED] redis-cli ping"}
redis:// with an empty user	{"url":"redis://:R3dis-uri-9@cache:6379/0"}	{"url":"redis://:[REDACTED]@cache:6379/0"}
mongodb+srv://u:p@	{"uri":"mongodb+srv://app:M0ngo-pw@cluster0.example.net/shop?retryWrites=true"}	{"uri":"mongodb+srv://app:[REDACTED]@cluster0.example.net/shop?retryWrites=true"}
mongosh -p SECRET	{"cmd":"mongosh --host db -u admin -p M0ngo-flag-pw --authenticationDatabase admin"}	{"cmd":"mongosh --host db -u admin -p [REDACTED] --authenticationDatabase admin"}
docker login -p SECRET	{"cmd":"docker login -u ci -p D0cker-pw-1 registry.example.com"}	{"cmd":"docker login -u ci -p [REDACTED] registry.example.com"}
docker login --password SECRET	{"cmd":"docker login --username ci --password D0cker-pw-2 registry.example.com"}	{"cmd":"docker login --username ci --password [REDACTED] registry.example.com"}
docker login --password-stdin takes no value	{"cmd":"docker login --username ci --password-stdin registry.example.com"}	=
docker run -p stays	{"cmd":"docker run -p 8080:80 nginx"}	=
helm repo add --password SECRET	{"cmd":"helm repo add internal https://charts.example.com --username ci --password H3lm-pw-1"}	{"cmd":"helm repo add internal https://charts.example.com --username ci --password [REDACTED]"}
helm registry login -p SECRET	{"cmd":"helm registry login registry.example.com -u ci -p H3lm-pw-2"}	{"cmd":"helm registry login registry.example.com -u ci -p [REDACTED]"}
az login -p SECRET	{"cmd":"az login --service-principal -u 0d1e2f3a -p Az-pw-3x --tenant example.onmicrosoft.com"}	{"cmd":"az login --service-principal -u 0d1e2f3a -p [REDACTED] --tenant example.onmicrosoft.com"}
curl -u user:SECRET	{"cmd":"curl -fsS -u admin:Curl-pw-1 https://api.example.com/v1/items"}	{"cmd":"curl -fsS -u admin:[REDACTED] https://api.example.com/v1/items"}
curl --user 'user:SECRET'	{"cmd":"curl --user 'admin:Curl pw 2' https://api.example.com/"}	{"cmd":"curl --user 'admin:[REDACTED]' https://api.example.com/"}
curl -u user (a prompt) stays	{"cmd":"curl -u admin https://api.example.com/"}	=
docker run -u uid:gid stays	{"cmd":"docker run -u 1000:1000 busybox id"}	=
sshpass -p SECRET	{"cmd":"sshpass -p 'Ssh pass 1' ssh ops@bastion"}	{"cmd":"sshpass -p '[REDACTED]' ssh ops@bastion"}
ldapsearch -w SECRET	{"cmd":"ldapsearch -x -D cn=admin,dc=example,dc=com -w Ld4p-pw -b dc=example,dc=com"}	{"cmd":"ldapsearch -x -D cn=admin,dc=example,dc=com -w [REDACTED] -b dc=example,dc=com"}
sqlcmd -P SECRET	{"cmd":"sqlcmd -S db -U sa -P Sql-pw-4 -Q \"SELECT 1\""}	{"cmd":"sqlcmd -S db -U sa -P [REDACTED] -Q \"SELECT 1\""}
pass=SECRET	{"log":"connecting with user=app pass=P4ss-word-1 host=db"}	{"log":"connecting with user=app pass=[REDACTED] host=db"}
DB_PASS=SECRET	{"env":"DB_PASS=Env-pass-2"}	{"env":"DB_PASS=[REDACTED]"}
Pwd= in an ODBC string	{"dsn":"Server=db;Uid=app;Pwd=Odbc-pw-1;Encrypt=yes"}	{"dsn":"Server=db;Uid=app;Pwd=[REDACTED];Encrypt=yes"}
bypass= and compass= stay	{"log":"cache bypass=true compass=north"}	=
Azure AccountKey=	{"conn":"DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=Zm9vYmFyYmF6cXV4K2Zvb2JhcmJhenF1eA==;EndpointSuffix=core.windows.net"}	{"conn":"DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=[REDACTED];EndpointSuffix=core.windows.net"}
Azure SAS sig=	{"url":"https://shopdata.blob.core.windows.net/backups/db.tar?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-01T00:00:00Z&spr=https&sig=Xy7Zq%2Bw9AbCdEf0123456789abcdefGHIJKLmn%3D"}	{"url":"https://shopdata.blob.core.windows.net/backups/db.tar?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-01T00:00:00Z&spr=https&sig=[REDACTED]"}
Service Bus SharedAccessKey=	{"conn":"Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0LWtleS1mb3ItYnVz+AbC12="}	{"conn":"Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[REDACTED]"}
AWS credentials file	{"file":"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n"}	{"file":"[default]\naws_access_key_id = [REDACTED]\naws_secret_access_key = [REDACTED]\nregion = eu-west-1\n"}
AWS STS credentials JSON	{"Credentials":{"AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD","Expiration":"2026-11-22T06:00:00Z"}}	{"Credentials":{"AccessKeyId":"[REDACTED]","SecretAccessKey":"[REDACTED]","SessionToken":"[REDACTED]","Expiration":"2026-11-22T06:00:00Z"}}
GCP service account private_key	{"type":"service_account","project_id":"shop-prod","private_key_id":"4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n","client_email":"sa@shop-prod.iam.gserviceaccount.com"}	{"type":"service_account","project_id":"shop-prod","private_key_id":"4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a","private_key":"[REDACTED]","client_email":"sa@shop-prod.iam.gserviceaccount.com"}
Google API key AIza…	{"log":"geocoding with AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW failed: quota"}	{"log":"geocoding with [REDACTED] failed: quota"}
Google OAuth client secret GOCSPX-	{"log":"client 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 registered"}	{"log":"client [REDACTED] registered"}
Hugging Face token hf_…	{"log":"pulling model with hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh now"}	{"log":"pulling model with [REDACTED] now"}
Stripe sk_live_	{"log":"charge failed for key sk_live_51H8abcdEFGH1234ijklMNOP5678"}	{"log":"charge failed for key [REDACTED]"}
Stripe rk_live_	{"log":"restricted key rk_live_51H8abcdEFGH1234ijklMNOP5678 used"}	{"log":"restricted key [REDACTED] used"}
Stripe sk_test_	{"STRIPE":"sk_test_4eC39HqLyjWDarjtT1zdp7dc"}	{"STRIPE":"[REDACTED]"}
Stripe webhook secret whsec_	{"log":"verifying with whsec_8f2kLm3Qw9Xz1Bv4Nc7Ty0Pq5Rs6Ud"}	{"log":"verifying with [REDACTED]"}
Square access token sq0atp-	{"log":"square token sq0atp-2bR9c1Lk8xQm4Vz7Yw3NtA set"}	{"log":"square token [REDACTED] set"}
kubeconfig client-key-data	{"kubeconfig":"users:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF\n"}	{"kubeconfig":"users:\n- name: admin\n  user:\n    client-key-data: [REDACTED]\n"}
kubeconfig client-certificate-data	{"users":[{"name":"admin","user":{"client-certificate-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjZXJ0aWZpY2F0ZWJvZHkwMTIzNDU2Nzg5Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"}}]}	{"users":[{"name":"admin","user":{"client-certificate-data":"[REDACTED]"}}]}
kubeconfig token:	{"kubeconfig":"users:\n- name: ci\n  user:\n    token: kube-T0ken.abc123\n"}	{"kubeconfig":"users:\n- name: ci\n  user:\n    token: [REDACTED]\n"}
kubeconfig certificate-authority-data stays	{"clusters":[{"cluster":{"certificate-authority-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjZXJ0aWZpY2F0ZWJvZHkwMTIzNDU2Nzg5Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K","server":"https://10.0.0.1:6443"}}]}	=
PGP private key block	{"backup":"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0abcdefSECRETPGP\n=Ab12\n-----END PGP PRIVATE KEY BLOCK-----","note":"offline copy"}	{"backup":"[REDACTED]","note":"offline copy"}
PGP public key block stays	{"pub":"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF0abc\n-----END PGP PUBLIC KEY BLOCK-----"}	=
SSH2 encrypted private key	{"k":"-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----\nP2/56wAAAssh2secretmaterial\n-----END SSH2 ENCRYPTED PRIVATE KEY-----"}	{"k":"[REDACTED]"}
PuTTY private lines	{"ppk":"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAAIPuttySecretMaterial0123456789\nPrivate-MAC: 0a1b2c3d4e5f"}	{"ppk":"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n[REDACTED]"}
registry auth JSON auth and password	{"auths":{"registry.example.com":{"username":"ci","password":"R3g-pw-9","auth":"Y2k6UjNnLXB3LTk="}}}	{"auths":{"registry.example.com":{"username":"ci","password":"[REDACTED]","auth":"[REDACTED]"}}}
.dockerconfigjson in a Secret (base64)	{"kind":"Secret","type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJ1c2VybmFtZSI6ImNpIiwicGFzc3dvcmQiOiJSM2ctcHctOSIsImF1dGgiOiJZMms2VWpObkxYQjNMVGs9In19fQ=="}}	{"kind":"Secret","type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"[REDACTED]"}}
tls.key in a Secret (base64 PEM)	{"data":{"tls.crt":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjZXJ0aWZpY2F0ZWJvZHkwMTIzNDU2Nzg5Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K","tls.key":"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBc2VjcmV0a2V5bWF0ZXJpYWwwMTIzNDU2Nzg5Ci0tLS0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg=="}}	{"data":{"tls.crt":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjZXJ0aWZpY2F0ZWJvZHkwMTIzNDU2Nzg5Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K","tls.key":"[REDACTED]"}}
a config file with a password in a Secret (base64)	{"data":{"app.yaml":"ZGI6CiAgaG9zdDogZGIuc2hvcAogIHBhc3N3b3JkOiBZYW1sLXB3LTUK"}}	{"data":{"app.yaml":"[REDACTED]"}}
a generated value under a key-like name	{"encryption_key":"q8Z3xY7wV6uT5sR4pO3nM2lK1jH0gF9e","key":"shop/web","tls_key":"/etc/tls/tls.key"}	{"encryption_key":"[REDACTED]","key":"shop/web","tls_key":"/etc/tls/tls.key"}
a JSON number under a secret name stays JSON	{"pin":1,"password":123456,"auth":null,"token":false}	{"pin":1,"password":"[REDACTED]","auth":null,"token":false}
an object under a secret name is looked into	{"volumes":[{"name":"certs","secret":{"secretName":"web-tls"}}],"credentials":{"user":"bob","password":"Obj-pw-3"}}	{"volumes":[{"name":"certs","secret":{"secretName":"web-tls"}}],"credentials":{"user":"bob","password":"[REDACTED]"}}
a Secret named in metric labels stays	{"metric":{"__name__":"kube_secret_info","namespace":"shop","secret":"db-creds"},"value":[1795320000,"1"]}	=
.npmrc _authToken (a name starting with _)	{"npmrc":"//registry.npmjs.org/:_authToken=a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6\nalways-auth=true"}	{"npmrc":"//registry.npmjs.org/:_authToken=[REDACTED]\nalways-auth=true"}
.npmrc _auth and _password	{"npmrc":"//npm.example.com/:_password=czNjcmV0LXB3\n//npm.example.com/:_auth=Y2k6czNjcmV0\nemail=ci@example.com"}	{"npmrc":"//npm.example.com/:_password=[REDACTED]\n//npm.example.com/:_auth=[REDACTED]\nemail=ci@example.com"}
a PEM key as a named value (an env var)	{"Env":["GH_APP_PRIVATE_KEY=-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----\n","PATH=/usr/bin"]}	{"Env":["GH_APP_PRIVATE_KEY=[REDACTED]\n","PATH=/usr/bin"]}
a PEM key as a named value (YAML)	{"cm":"tls:\n  private_key: -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEEIsecretmaterial\n    -----END EC PRIVATE KEY-----\n  cert: x"}	{"cm":"tls:\n  private_key: [REDACTED]\n  cert: x"}
a kubeconfig in base64 wrapped at 76 columns (base64(1))	{"out":"YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCmNsdXN0ZXJzOgotIGNsdXN0ZXI6CiAgICBzZXJ2\nZXI6IGh0dHBzOi8vMTAuMC4wLjE6NjQ0MwogIG5hbWU6IHByb2QKdXNlcnM6Ci0gbmFtZTogYWRt\naW4KICB1c2VyOgogICAgY2xpZW50LWtleS1kYXRhOiBMUzB0TFMxQ1JVZEpUaUJGUXlCUVVrbFdR\nVlJGSUV0RldTMHRMUzB0Q2sxSVkwTkJVVVZGU1V0elpXTnlaWFJyWlhsdFlYUmxjbWxoYkRBeE1q\nTTBOVFkzT0RsaFltTmtaV1puYUdscWEyeHRibTl3Y1hKemRIVjJkM2g1ZWtGQ0NpMHRMUzB0UlU1\nRUlFVkRJRkJTU1ZaQlZFVWdTMFZaTFMwdExTMEsK\n"}	{"out":"[REDACTED]\n"}
a kubeconfig in base64 wrapped at 64 columns (openssl base64)	{"log":"config:\nYXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCmNsdXN0ZXJzOgotIGNsdXN0ZXI6\nCiAgICBzZXJ2ZXI6IGh0dHBzOi8vMTAuMC4wLjE6NjQ0MwogIG5hbWU6IHByb2QK\ndXNlcnM6Ci0gbmFtZTogYWRtaW4KICB1c2VyOgogICAgY2xpZW50LWtleS1kYXRh\nOiBMUzB0TFMxQ1JVZEpUaUJGUXlCUVVrbFdRVlJGSUV0RldTMHRMUzB0Q2sxSVkw\nTkJVVVZGU1V0elpXTnlaWFJyWlhsdFlYUmxjbWxoYkRBeE1qTTBOVFkzT0RsaFlt\nTmtaV1puYUdscWEyeHRibTl3Y1hKemRIVjJkM2g1ZWtGQ0NpMHRMUzB0UlU1RUlF\nVkRJRkJTU1ZaQlZFVWdTMFZaTFMwdExTMEsK\ndone"}	{"log":"config:\n[REDACTED]\ndone"}
wrapped base64 of harmless text stays	{"out":"bW90ZDogd2VsY29tZSB0byB0aGUgc2hvcCBjbHVzdGVyLCBiZSBuaWNlCm1vdGQ6IHdlbGNvbWUg\ndG8gdGhlIHNob3AgY2x1c3RlciwgYmUgbmljZQptb3RkOiB3ZWxjb21lIHRvIHRoZSBzaG9wIGNs\ndXN0ZXIsIGJlIG5pY2UKbW90ZDogd2VsY29tZSB0byB0aGUgc2hvcCBjbHVzdGVyLCBiZSBuaWNl\nCm1vdGQ6IHdlbGNvbWUgdG8gdGhlIHNob3AgY2x1c3RlciwgYmUgbmljZQptb3RkOiB3ZWxjb21l\nIHRvIHRoZSBzaG9wIGNsdXN0ZXIsIGJlIG5pY2UK\n"}	=
a password in JSON inside JSON inside JSON (\\\" quotes)	{"msg":"{\"m\":\"{\\\"password\\\":\\\"hunter2\\\",\\\"user\\\":\\\"app\\\"}\"}"}	{"msg":"{\"m\":\"{\\\"password\\\":\\\"[REDACTED]\\\",\\\"user\\\":\\\"app\\\"}\"}"}
a password with a quote, in JSON inside JSON	{"msg":"{\"password\":\"hun\\\"ter2\",\"user\":\"app\"}"}	{"msg":"{\"password\":\"[REDACTED]\",\"user\":\"app\"}"}
a token in a JSON string inside a JSON string, spaced	{"log":"{\"event\":\"{\\\"api_key\\\": \\\"Qw3rTy-uI0p-AsDf\\\", \\\"ok\\\": true}\"}"}	{"log":"{\"event\":\"{\\\"api_key\\\": \\\"[REDACTED]\\\", \\\"ok\\\": true}\"}"}
Slack workflow webhook URL	{"log":"posting to https://hooks.slack.com/workflows/T01ABCDEF/A02ABCDEF/412345678901234567/AbCdEfGhIjKlMnOpQrStUvWx done"}	{"log":"posting to https://hooks.slack.com/workflows/[REDACTED] done"}
Slack trigger webhook URL	{"url":"https://hooks.slack.com/triggers/T01ABCDEF/4123456789012/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"}	{"url":"https://hooks.slack.com/triggers/[REDACTED]"}
Slack webhook path without a scheme	{"cfg":"url: hooks.slack.com/workflows/T01ABCDEF/A02ABCDEF/412345678901234567/AbCdEfGhIjKlMnOpQrStUvWx"}	{"cfg":"url: hooks.slack.com/workflows/[REDACTED]"}
Discord webhook URL	{"log":"alert to https://discord.com/api/webhooks/1087654321098765432/Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op1Qr2St failed"}	{"log":"alert to https://discord.com/api/webhooks/[REDACTED] failed"}
Discord webhook URL, versioned API and a query	{"log":"POST https://discordapp.com/api/v10/webhooks/1087654321098765432/Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op1Qr2St?wait=true 204"}	{"log":"POST https://discordapp.com/api/v10/webhooks/[REDACTED]?wait=true 204"}
Microsoft Teams incoming webhook URL	{"url":"https://contoso.webhook.office.com/webhookb2/7aa49aa6-7840-443d-806c-08ebe8f59966@c662313f-14fc-43a2-9a7a-d2e27f4f3478/IncomingWebhook/8592f62b50cf41b9b93ba0c0a00a0b88/eff4cd58-1bb8-4899-94de-795f656b4a18"}	{"url":"https://contoso.webhook.office.com/webhookb2/[REDACTED]"}
Google Chat webhook URL (key, token)	{"url":"https://chat.googleapis.com/v1/spaces/AAAAq1w2e3r/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=vW3xZ2qL8mN5rP7tK9jH4gF6dS1aQ0eR-YuIoPlKjHg%3D"}	{"url":"https://chat.googleapis.com/v1/spaces/AAAAq1w2e3r/messages?key=[REDACTED]&token=[REDACTED]"}
a Slack webhook's documentation link stays	{"doc":"see https://api.slack.com/messaging/webhooks and https://discord.com/developers/docs/resources/webhook"}	=
Authorization: Bot (Discord)	{"hdr":"Authorization: Bot MTA4NzY1NDMyMTA5ODc2NTQzMg.GAbCdE.Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Y"}	{"hdr":"Authorization: Bot [REDACTED]"}
Authorization: ApiKey (Elasticsearch)	{"hdr":"Authorization: ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="}	{"hdr":"Authorization: ApiKey [REDACTED]"}
Authorization: SSWS (Okta)	{"hdr":"Authorization: SSWS 00QCjAl4MlV-WPXM0R2Jz9f8a7b6c5d4e3f2g1h0i"}	{"hdr":"Authorization: SSWS [REDACTED]"}
Authorization: GenieKey (Opsgenie), quoted in a JSON header map: all of it	{"headers":{"Authorization":"GenieKey eb243592-faa2-4ba2-a551-1afdf565c889","Accept":"*/*"}}	{"headers":{"Authorization":"[REDACTED]","Accept":"*/*"}}
Proxy-Authorization: Splunk	{"req":"Proxy-Authorization: Splunk 12345678-1234-1234-1234-1234567890AB\nHost: hec"}	{"req":"Proxy-Authorization: Splunk [REDACTED]\nHost: hec"}
curl -H 'Authorization: sso-key K:S' (GoDaddy)	{"cmd":"curl -H 'Authorization: sso-key UzQxLikm_46KxDFnbjN7cQjmw6wocia:46L26ydpkwMaKZV6uVdDWe' https://api.godaddy.com/v1/domains"}	{"cmd":"curl -H 'Authorization: sso-key [REDACTED]' https://api.godaddy.com/v1/domains"}
Discord bot token	{"log":"bot login with MTA4NzY1NDMyMTA5ODc2NTQzMg.GAbCdE.Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Y failed"}	{"log":"bot login with [REDACTED] failed"}
Discord bot token, older 27-character HMAC	{"env":"DISCORD_BOT=NzkyNzE1NDU0MTk2MDg4ODQy.X-hvzA.Ovy4MCQywSkoMRRclStW4xAYK7I"}	{"env":"DISCORD_BOT=[REDACTED]"}
Telegram bot token	{"log":"telegram: using 110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw for alerts"}	{"log":"telegram: using [REDACTED] for alerts"}
Telegram bot API URL	{"log":"GET https://api.telegram.org/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe 401"}	{"log":"GET https://api.telegram.org/bot[REDACTED]/getMe 401"}
a time and a word after it stay	{"log":"12:30:00 1700000000:connection_reset_by_peer_while_reading retried"}	=
TestPyPI token	{"log":"twine upload -r testpypi -u __token__ -p pypi-AgENdGVzdC5weXBpLm9yZwIkNTY3ODkwMTItMzQ1Ni03ODkwLWFiY2QtZWYwMTIzNDU2Nzg5AAIqWzMsIjEyMzQ1Njc4Il0AAAYgAbCdEfGhIjKlMn dist/*"}	{"log":"twine upload -r testpypi -u __token__ -p [REDACTED] dist/*"}
Azure DevOps PAT in AZURE_DEVOPS_EXT_PAT	{"env":"AZURE_DEVOPS_EXT_PAT=wq7h3bm4ssjwyz3qu2trh7d5uxq7vq3dpcjhlqjqrvbl5ycw3fha"}	{"env":"AZURE_DEVOPS_EXT_PAT=[REDACTED]"}
Azure DevOps PAT, 84 characters with its AZDO signature	{"log":"az devops login with 8Xn2vJ0qB1sK9mZ4yR7tW3cF6hL5dG0aP2eN8uQ1iO4xV7bS3kM9jY6wT2rAbCdEfGhIjKlMnOpQAZDO3gHf"}	{"log":"az devops login with [REDACTED]"}
JWK set with an RSA private key (d, p, q, dp, dq, qi)	{"keys":[{"kty":"RSA","kid":"k1","use":"sig","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","d":"X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9M7dx5oo7GURknchnrRweUkC7hT5fJLM0WbFAKNLWY2vv7B6NqXSzUvxT0_YSfqijwp3RTzlBaCxWp4doFk5N2o8Gy_nHNKroADIkJ46pRUohsXywbReAdYaMwFs9tv8d_cPVY3i07a3t8MN6TNwm0dSawm9v47UiCl3Sk5ZiG7xojPLu4sbg1U2jx4IBTNBznbJSzFHK66jT8bgkuqsk0GjskDJk19Z4qwjwbsnn4j2WBii3RL-Us2lGVkY8fkFzme1z0HbIkfz0Y6mqnOYtqc0X4jfcKoAC8Q","p":"83i-7IvMGXoMXCskv73TKr8637FiO7Z27zv8oj6pbWUQyLPQBQxtPVnwD20R-60eTDmD2ujnMt5PoqMrm8RfmNhVWDtjjMmCMjOpSXicFHj7XOuVIYQyqVWlWEh6dN36GVZYk93N8Bc9vY41xy8B9RzzOGVQzXvNEvn7O0nVbfs","q":"3dfOR9cuYq-0S-mkFLzgItgMEfFzB2q3hWehMuG0oCuqnb3vobLyumqjVZQO1dIrdwgTnCdpYzBcOfW5r370AFXjiWft_NGEiovonizhKpo9VVS78TzFgxkIdrecRezsZ-1kYd_s1qDbxtkDEgfAITAG9LUnADun4vIcb6yelxk","dp":"G4sPXkc6Ya9y8oJW9_ILj4xuppu0lzi_H7VTkS8xj5SdX3coE0oimYwxIi2emTAue0UOa5dpgFGyBJ4c8tQ2VF402XRugKDTP8akYhFo5tAA77Qe_NmtuYZc3C3m3I24G2GvR5sSDxUyAN2zq8Lfn9EUms6rY3Ob8YeiKkTiBj0","dq":"s9lAH9fggBsoFR8Oac2R_E2gw282rT2kGOAhvIllETE1efrA6huUUvMfBcMpn8lqeW6vzznYY5SSQF7pMdC_agI3nG8Ibp1BUb0JUiraRNqUfLhcQb_d9GF4Dh7e74WbRsobRonujTYN1xCaP6TO61jvWrX-L18txXw494Q_cgk","qi":"GyM_p6JrXySiz1toFgKbWV-JdI3jQ4ypu9rbMWx3rQJBfmt0FoYzgUIZEVFEcOqwemRN81zoDAaa-Bk0KWNGDjJHZDdDmFhW3AN7lI-puxk_mHZGJ11rxyR8O55XLSe3SPmRfKwZI6yU24ZxvQKFYItdldUKGzO6Ia6zTKhAVRU"}]}	{"keys":[{"kty":"RSA","kid":"k1","use":"sig","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","d":"[REDACTED]","p":"[REDACTED]","q":"[REDACTED]","dp":"[REDACTED]","dq":"[REDACTED]","qi":"[REDACTED]"}]}
EC private JWK (d), escaped in a log line	{"log":"loaded {\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\":\"jpsQnnGQmL-YBIffH1136cLyG9EcsH5aDy0rQNf9xhA\",\"kid\":\"ec1\"}"}	{"log":"loaded {\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\":\"[REDACTED]\",\"kid\":\"ec1\"}"}
symmetric JWK (k)	{"kty":"oct","alg":"HS256","k":"GawgguFyGrWKav7AX4VKUg"}	{"kty":"oct","alg":"HS256","k":"[REDACTED]"}
a public JWK stays	{"keys":[{"kty":"RSA","kid":"k1","use":"sig","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}]}	=
fields named d, p, k outside a JWK stay	{"d":"2026-11-22","p":"shop","k":"v","q":"up"}	=
Cookie header: every cookie	{"req":"GET /cart HTTP/1.1\nCookie: theme=dark; sessionid=8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c; csrftoken=Ab12\nHost: shop"}	{"req":"GET /cart HTTP/1.1\nCookie: [REDACTED]\nHost: shop"}
Set-Cookie header: the cookie, not its attributes	{"resp":"HTTP/1.1 302 Found\nSet-Cookie: laravel_session=eyJpdiI6IkZ0b2tlbiIsInZhbHVlIjoiYWJjIn0%3D; path=/; HttpOnly\nLocation: /"}	{"resp":"HTTP/1.1 302 Found\nSet-Cookie: [REDACTED]; path=/; HttpOnly\nLocation: /"}
session ids by name (JSESSIONID, PHPSESSID, session_id)	{"log":"JSESSIONID=9A3F2C41B7E6D5C8A1B2C3D4E5F60718 PHPSESSID=q8mhm5d7u3p2k1l0j9h8g7f6e5 session_id=s%3Ak9Jq2x.L0pZ"}	{"log":"JSESSIONID=[REDACTED] PHPSESSID=[REDACTED] session_id=[REDACTED]"}
a session that is a word stays	{"log":"ssh session=interactive user=ops"}	=
Mailgun API key key-…	{"log":"mailgun: key-3ax6xnjp29jd6fds4gc373sgvjxteol0 rejected (401)"}	{"log":"mailgun: [REDACTED] rejected (401)"}
a key- name stays	{"log":"cache key-prefix-for-shop-frontend-assets-v2 evicted"}	=
a JWK whose other member held a brace (once missed, then found on a second pass)	{"kty":"oct","secret":"a}b","k":"GawgguFyGrWKav7AX4VKUg"}	{"kty":"oct","secret":"[REDACTED]","k":"[REDACTED]"}
a wrapped kubeconfig after a 76-character token line (once taken for its first line)	{"log":"sk_test_nQvWys81vp7hB1dx8PpD5KHXe3PYiGkPAuNaRL63xYKwzEInncIIA3ANxN9K3KSU9Mi4\ndXNlcnM6Ci0gbmFtZTogYWRtaW4KICB1c2VyOgogICAgY2xpZW50LWtleS1kYXRhOiBMUzB0TFMx\nQ1JVZEpUaUJGUXlCUVVrbFdRVlJGSUV0RldTMHRMUzB0Q2sxSVkwTkJVVVZGU1V0elpXTnlaWFJy\nWlhsdFlYUmxjbWxoYkRBeE1qTTBOVFkzT0RsaFltTmtaV1puYUdscWEyeHRibTl3Y1hKemRIVjJk\nM2g1ZWtGQ0NpMHRMUzB0UlU1RUlFVkRJRkJTU1ZaQlZFVWdTMFZaTFMwdExTMEsK\n"}	{"log":"[REDACTED]\n[REDACTED]\n"}
FORMS
cut -f2 "$T_DIR/forms" >"$T_DIR/in"
dry <"$T_DIR/in" | data_lines >"$T_DIR/out"
expect_eq "every form came back as one line" "$(wc -l <"$T_DIR/in")" "$(wc -l <"$T_DIR/out")"
paste "$T_DIR/forms" "$T_DIR/out" >"$T_DIR/both"
while IFS='	' read -r name input want got; do
	[ "$want" = "=" ] && want=$input
	expect_eq "$name" "$want" "$got"
done <"$T_DIR/both"
# What was sent, redacted again, is the same: no form leaves a piece that
# a second look takes for a secret (the fuzzer's property, on the forms).
dry <"$T_DIR/out" | data_lines >"$T_DIR/again"
expect_eq "every form, redacted again, is unchanged" "$(cat "$T_DIR/out")" "$(cat "$T_DIR/again")"

# --- random tokens next to secret-like names, in every form ---------------
/usr/bin/python3 - "$T_DIR" >"$T_DIR/checks" <<'PY'
import json, os, random, re, subprocess, sys


def tap(ok, name, *detail):
    # relay_tap reads "ok - NAME" and "not ok - NAME" lines only.
    print("%sok %s%s" % ("" if ok else "not ", name,
                           "".join("; " + d for d in detail) if not ok else ""))


seed = int(os.environ.get("OPSPIPE_SEED") or random.SystemRandom().randrange(1 << 30))
rnd = random.Random(seed)
WORDS = ["password", "passwd", "pwd", "pass", "passphrase", "secret",
         "token", "api_key", "apikey", "access_key", "secret_key",
         "private_key", "auth", "credentials", "client_secret",
         "auth_token", "access_token", "refresh_token", "key",
         "signing_key", "encryption_key", "master_key"]
PREFIXES = ["", "db_", "app.", "my-", "x-", "svc_"]
PROSE = ["deploy", "pod", "restarted", "at", "05:00", "ok", "shop",
         "retry", "in", "3s", "node-1", "done"]


def name():
    w, p = rnd.choice(WORDS), rnd.choice(PREFIXES)
    style = rnd.randrange(3)
    if style == 1:
        return (p + w).upper().replace(".", "_").replace("-", "_")
    if style == 2 and p:
        parts = w.split("_")
        return p.strip("_.-") + "".join(x.capitalize() for x in parts)
    return p + w


def token():
    # High entropy: 16 to 48 characters with upper and lower case and
    # digits, starting with a letter or digit.
    al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    while True:
        n = rnd.randrange(16, 49)
        t = rnd.choice(al) + "".join(rnd.choice(al + "+/=_-.") for _ in range(n - 1))
        if (any(c.isupper() for c in t) and any(c.islower() for c in t)
                and any(c.isdigit() for c in t)):
            return t


def env_name(k):
    # DB_PASSWORD from dbPassword, db.password or db-password.
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", k).upper().replace(".", "_").replace("-", "_")


def prose():
    return " ".join(rnd.choice(PROSE) for _ in range(rnd.randrange(1, 4)))


FORMS = {
    "k=v": lambda k, v: {"log": "%s %s=%s %s" % (prose(), k, v, prose())},
    "k: v": lambda k, v: {"log": "%s\n%s: %s\n%s" % (prose(), k, v, prose())},
    '"k":"v"': lambda k, v: {k: v, "note": prose()},
    "--k v": lambda k, v: {"cmd": "app --%s %s --verbose %s" % (k, v, prose())},
    "--k=v": lambda k, v: {"args": ["app", "--%s=%s" % (k, v), prose()]},
    "env K=v": lambda k, v: {"env": "%s=%s %s" % (env_name(k), v, prose())},
}
PER_FORM = 60
cases = []
for form, make in FORMS.items():
    for _ in range(PER_FORM):
        k, v = name(), token()
        cases.append((form, k, v, json.dumps(make(k, v), separators=(",", ":"))))
inp = "".join(c[3] + "\n" for c in cases)
run = subprocess.run(["llmask", "--url", "http://127.0.0.1:9", "--dry-run", "-p", "x",
                      "--max-input", "100000000"], input=inp.encode(),
                     capture_output=True)
content = json.loads(run.stdout)["messages"][-1]["content"].split("\n")
data = content[content.index("BEGIN DATA") + 1:content.index("END DATA")]
tap(run.returncode == 0 and len(data) == len(cases) == PER_FORM * len(FORMS),
    "random secrets: %d cases generated and sent (OPSPIPE_SEED=%d repeats "
    "them)" % (len(cases), seed), run.stderr.decode()[-400:])
for form in FORMS:
    bad = [(c, got) for c, got in zip(cases, data) if c[0] == form and
           got != c[3].replace(c[2], "[REDACTED]")]
    tap(not bad, "random secrets, %s: %d of %d caught, the text around kept"
        % (form, PER_FORM - len(bad), PER_FORM),
        *["%s -> %s" % (c[3], got) for c, got in bad[:3]])
PY
relay_tap "$T_DIR/checks" "random secrets checker"

# --- random tokens known by their prefix, as their owners generate them ---
# Each family's alphabet and length as documented; half of the tokens are
# drawn from its letters only, which a random token is now and then (a
# 20-character GitLab token has no digit 3 times in 100).
/usr/bin/python3 - >"$T_DIR/prefix-checks" <<'PY'
import json, os, random, subprocess


def tap(ok, name, *detail):
    print("%sok %s%s" % ("" if ok else "not ", name,
                           "".join("; " + d for d in detail) if not ok else ""))


seed = int(os.environ.get("OPSPIPE_SEED") or random.SystemRandom().randrange(1 << 30))
rnd = random.Random(seed)
UP, LOW, DIG = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"
AN = UP + LOW + DIG
# prefix, alphabet, length after the prefix
FAMILIES = [
    ("ghp_", AN, 36), ("gho_", AN, 36), ("ghs_", AN, 36),
    ("github_pat_", AN + "_", 82), ("glpat-", AN + "_-", 20),
    ("glrt-", AN + "_-", 20), ("sk-", AN, 48), ("sk-proj-", AN + "_-", 64),
    ("AIza", AN + "_-", 35), ("GOCSPX-", AN + "_-", 28), ("sk_live_", AN, 24),
    ("rk_live_", AN, 24), ("whsec_", AN, 32), ("npm_", AN, 36),
    ("hvs.", AN + "_-", 90), ("dckr_pat_", AN + "_-", 27),
    ("glsa_", AN, 32), ("shpat_", "0123456789abcdef", 32),
]
cases = []
for prefix, alphabet, n in FAMILIES:
    letters = "".join(c for c in alphabet if c.isalpha())
    both = any(c.isupper() for c in letters) and any(c.islower() for c in letters)
    for k in range(10):
        pool = letters if k % 2 and both else alphabet
        tok = prefix + "".join(rnd.choice(pool) for _ in range(n))
        rec = {"log": "deploy with %s failed" % tok}
        cases.append((prefix, tok, json.dumps(rec, separators=(",", ":"))))
inp = "".join(c[2] + "\n" for c in cases)
run = subprocess.run(["llmask", "--url", "http://127.0.0.1:9", "--dry-run", "-p", "x",
                      "--max-input", "100000000"], input=inp.encode(), capture_output=True)
content = json.loads(run.stdout)["messages"][-1]["content"].split("\n")
data = content[content.index("BEGIN DATA") + 1:content.index("END DATA")]
tap(len(data) == len(cases) == 10 * len(FAMILIES),
    "random prefixed tokens: %d generated and sent (OPSPIPE_SEED=%d repeats them)"
    % (len(cases), seed))
for prefix, _, _ in FAMILIES:
    bad = [(c, got) for c, got in zip(cases, data) if c[0] == prefix and
           got != c[2].replace(c[1], "[REDACTED]")]
    tap(not bad, "random %s tokens, letters only or not: %d of 10 caught" % (prefix, 10 - len(bad)),
        *["%s -> %s" % (c[2], got) for c, got in bad[:2]])
PY
relay_tap "$T_DIR/prefix-checks" "random prefixed tokens checker"

# --- ordinary text comes through -----------------------------------------------
# Logs of every kind, events and objects that talk about tokens, keys and
# secrets without holding any. Two prose lines are redacted, knowingly: a
# secret-like word, a colon and a word ("Invalid token: expired") is read
# as a value, since a real one looks just the same.
corpus=$OPSPIPE_TOP/test/fixtures/ops-logs.jsonl
dry <"$corpus" | data_lines >"$T_DIR/out"
expect_eq "ops logs: every line sent" "$(wc -l <"$corpus")" "$(wc -l <"$T_DIR/out")"
diff "$corpus" "$T_DIR/out" | grep '^>' | sed 's/^> //' >"$T_DIR/changed"
expect_eq "ops logs ($(wc -l <"$corpus") lines): only the two known prose lines changed" \
    '*v1.Secret: [REDACTED] is forbidden|msg=\"Invalid token: [REDACTED]\"' \
    "$(grep -o '\*v1.Secret: \[REDACTED\] is forbidden\|msg=\\"Invalid token: \[REDACTED\]\\"' "$T_DIR/changed" | paste -sd'|' -)"
expect_eq "ops logs: nothing else changed" 2 "$(wc -l <"$T_DIR/changed")"

# Prometheus series as promq and statz write them, and the harness
# Prometheus's own metrics (names, labels, help texts).
need_prometheus
end=$(cat "$OPSPIPE_TEST_PROM/end")
promq --time "$end" '{__name__=~".+"}' >"$T_DIR/series"
statz <"$OPSPIPE_TEST_PROM/samples.jsonl" >>"$T_DIR/series"
curl -fsS "$PROMETHEUS_URL/metrics" | /usr/bin/python3 -c '
import json, re, sys
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        print(json.dumps({"help": line[7:]}, separators=(",", ":")))
        continue
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
    if m:
        labels = dict(re.findall(r"(\w+)=\"((?:[^\"\\]|\\.)*)\"", m.group(2) or ""))
        labels["__name__"] = m.group(1)
        print(json.dumps({"metric": labels, "value": [1795320000, m.group(3)]}, separators=(",", ":")))
' >>"$T_DIR/series"
jq -c . "$T_DIR/series" >"$T_DIR/series.compact"
dry <"$T_DIR/series.compact" | data_lines >"$T_DIR/out"
expect_eq "series and metrics ($(wc -l <"$T_DIR/series.compact") records, over 500): none changed" \
    "over 500, 0 changed" \
    "$([ "$(wc -l <"$T_DIR/series.compact")" -gt 500 ] && echo "over 500"), $(diff "$T_DIR/series.compact" "$T_DIR/out" | grep -c '^>') changed"
done_testing
