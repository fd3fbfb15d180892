@production @seed-003-production @needs-local-processes
Feature: Single sign-on: MLflow lets in whom the identity-aware proxy signed in, and nobody else
  Seed 003 puts MLflow behind NGINX with Cloudflare Access: the edge signs each person in and tells MLflow who
  they are. With mlflow.auth.mode=sso the chart's MLflow accepts a request only with a token the identity
  provider signed, checked against the keys the provider publishes: signature, issuer, audience, expiry. The
  token's email is the MLflow user, created on first sight, so MLflow's per-experiment permissions apply to
  each person. Here an identity provider of the run's own stands in for Cloudflare Access (a discovery
  document, its keys served over HTTP, tokens it signs); requests carry the token in Cloudflare Access's
  Cf-Access-Jwt-Assertion header unless a scenario says it comes as an OIDC proxy's (oauth2-proxy's)
  `Authorization: Bearer`. MLflow runs as seed 003 deploys it: the production deployment (two replicas behind
  the balancer, HTTPS end to end) rendered with single sign-on, so every request meets one replica or the other,
  each with its own key cache, and the balancer stands where the identity-aware proxy would.

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

  # Each replica's workers create the new user at the same moment: all but one find it made by another.
  Scenario: A person's first calls, at once on both replicas, all get in and make one MLflow user
    When "carol@example.org" sends 8 tracking calls at once through the balancer, each with a token of its own
    Then all 8 were answered 200, by both replicas
    And the admin finds "carol@example.org" among MLflow's users

  Scenario: One person cannot change another person's experiment
    When "alice@example.org" creates an experiment with a token from the identity provider
    Then "bob@example.org" can read it but renaming it is answered 403
