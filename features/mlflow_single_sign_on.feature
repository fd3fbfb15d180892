@production @seed-003-production @needs-local-processes
Feature: Single sign-on: MLflow lets in whom the identity-aware proxy signed in, and nobody else
  Seed 003 puts MLflow behind NGINX with Cloudflare Access: the edge signs each person in and tells MLflow who
  they are. With mlflow.auth.mode=sso the chart's MLflow accepts a request only with a token the identity
  provider signed, checked against the keys the provider publishes: signature, issuer, audience, expiry. The
  token's email is the MLflow user, created on first sight, so MLflow's per-experiment permissions apply to
  each person. Here an identity provider of the run's own stands in for Cloudflare Access (a discovery
  document, its keys served over HTTP, tokens it signs); requests carry the token in Cloudflare Access's
  Cf-Access-Jwt-Assertion header unless a scenario says it comes as an OIDC proxy's (oauth2-proxy's)
  `Authorization: Bearer`. TLS between the proxy and the replicas is not part of this feature: the production
  deployment of the other production features runs basic auth with HTTPS end to end (mlflow_security.feature).

  Background:
    Given the chart's MLflow runs in single sign-on mode behind the run's identity provider

  @smoke
  Scenario: A token from the identity provider lets a person in, as an MLflow user of their own
    When "alice@example.org" creates an experiment with a token from the identity provider
    Then the auth API reports "alice@example.org" with MANAGE permission on that experiment

  Scenario: An OIDC proxy's bearer token lets a person in the same way
    When "bob@example.org" creates an experiment with the token as an OIDC proxy's bearer
    Then the auth API reports "bob@example.org" with MANAGE permission on that experiment

  Scenario Outline: <token> is refused with 401
    When a client makes a tracking call with <token>
    Then the call is answered 401

    Examples:
      | token                                                           |
      | an expired token                                                |
      | a token for another application                                 |
      | a token from another issuer                                     |
      | a token signed by a key the identity provider never published   |
      | a token that names the provider's key but was signed by another |
      | no token                                                        |

  Scenario: An identity header without a token is never trusted
    When a client claims to be the admin in Cf-Access-Authenticated-User-Email without a token
    Then the call is answered 401

  Scenario: After the identity provider rotates its key, the new key lets people in and the removed one does not
    Given "alice@example.org" made a tracking call with a token from the identity provider
    When the identity provider rotates its signing key
    Then a token of the new key lets "alice@example.org" in
    And once the server's key cache has run out, a token of the removed key for "alice@example.org" is answered 401

  Scenario: One person cannot change another person's experiment
    When "alice@example.org" creates an experiment with a token from the identity provider
    Then "bob@example.org" can read it but renaming it is answered 403
