"""The ACME issuers every environment gets (constants only: envs/ validates against them)."""

# name -> ACME v2 directory. Every environment gets both; each picks one for its Ingresses.
ISSUERS: dict[str, str] = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
}
PRODUCTION_ISSUER = "letsencrypt-prod"
