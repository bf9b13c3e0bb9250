DROP TABLE oidc_handoffs;
DROP TABLE oidc_flows;
DROP TABLE oidc_identities;
