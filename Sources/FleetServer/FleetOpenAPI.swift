//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The API's OpenAPI 3.1 document: served at `/openapi.yaml`, printed by `hyperward server
/// openapi`, and kept in the repository as docs/api.yaml (a test checks they are the same).
public enum FleetOpenAPI {
    public static let document = #"""
openapi: 3.1.0
info:
  title: Hyperward fleet server
  version: 1.0.0
  description: |
    The fleet's control plane. Hosts authenticate with the client certificate the fleet CA
    issued them at enrollment (mutual TLS); people with a bearer API token that carries a role
    (viewer < operator < admin). Every error is an RFC 9457 problem document.
  license:
    name: Apache-2.0
    identifier: Apache-2.0
servers:
  - url: https://localhost:8443
security:
  - bearer: []
paths:
  /healthz:
    get:
      operationId: health
      summary: Liveness.
      security: []
      responses:
        "200":
          description: The server runs.
          content:
            application/json:
              schema:
                type: object
                required: [status]
                properties:
                  status: { type: string, const: ok }
  /openapi.yaml:
    get:
      operationId: openapi
      summary: This document.
      security: []
      responses:
        "200":
          description: The OpenAPI document.
          content:
            application/yaml:
              schema: { type: object }
        "429": { $ref: "#/components/responses/Problem" }
  /metrics:
    get:
      operationId: metrics
      summary: Prometheus metrics (viewer).
      responses:
        "200":
          description: The exposition text.
          content:
            text/plain:
              schema: { type: string }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/ca:
    get:
      operationId: getCA
      summary: The fleet CA's certificate (PEM); an agent checks its SHA-256 against the fingerprint it was given.
      security: []
      responses:
        "200":
          description: The CA certificate.
          content:
            application/x-pem-file:
              schema: { type: string }
        "503": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/enroll:
    post:
      operationId: enroll
      summary: Enroll a host with a one-time token; the fleet CA signs the host's CSR.
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [token, host, csr]
              properties:
                token: { type: string, maxLength: 128 }
                host: { $ref: "#/components/schemas/Name" }
                hostname: { type: [string, "null"], maxLength: 64 }
                csr: { type: string, maxLength: 16384, description: PEM certificate signing request for an ECDSA P-256 key. }
      responses:
        "200":
          description: Enrolled.
          content:
            application/json:
              schema:
                type: object
                required: [host, group, certificate, ca]
                properties:
                  host: { type: string }
                  group: { type: string }
                  certificate: { type: string }
                  ca: { type: string }
        "400": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/agent/events:
    post:
      operationId: pushEvents
      summary: A host pushes its events (idempotent by event id). Needs the host's client certificate.
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [events]
              properties:
                dropped_total: { type: [integer, "null"], minimum: 0, maximum: 9223372036854775807 }
                events:
                  type: array
                  maxItems: 1000
                  items: { $ref: "#/components/schemas/Event" }
      responses:
        "200":
          description: Stored (duplicates counted, not stored again).
          content:
            application/json:
              schema:
                type: object
                required: [stored, duplicates]
                properties:
                  stored: { type: integer }
                  duplicates: { type: integer }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/agent/ledger:
    get:
      operationId: heldCheckpoint
      summary: The size and root of the host's ledger checkpoint the server holds. Needs the host's client certificate.
      security: []
      responses:
        "200":
          description: What is held (size 0 and a null root when nothing is).
          content:
            application/json:
              schema:
                type: object
                required: [size, root]
                properties:
                  size: { type: integer, minimum: 0 }
                  root: { type: [string, "null"] }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
    post:
      operationId: offerCheckpoint
      summary: A host offers its latest signed ledger checkpoint; accepted only as a consistent extension of the one held.
      description: A refusal (409) is also recorded as a critical fleet.ledger.inconsistent event of the host.
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [note, verifier_key, proof]
              properties:
                note: { type: string, maxLength: 16384, description: The C2SP signed note of a tlog checkpoint. }
                verifier_key: { type: string, description: "The note verifier key (name+id+base64)." }
                proof:
                  type: array
                  maxItems: 128
                  items: { type: string, pattern: "^[0-9a-f]{64}$" }
      responses:
        "200":
          description: Accepted.
          content:
            application/json:
              schema:
                type: object
                required: [accepted, message]
                properties:
                  accepted: { type: boolean }
                  message: { type: string }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/agent/actions:
    get:
      operationId: pollActions
      summary: The host's pending actions, waiting up to `wait` seconds for one. Needs the host's client certificate.
      security: []
      parameters:
        - { name: wait, in: query, schema: { type: integer, minimum: 0, maximum: 50, default: 0 } }
      responses:
        "200":
          description: The actions now delivered to the host (each is delivered once).
          content:
            application/json:
              schema:
                type: object
                required: [actions]
                properties:
                  actions: { type: array, items: { $ref: "#/components/schemas/Action" } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/agent/actions/{id}/result:
    post:
      operationId: reportAction
      summary: The host reports how a delivered action went. Needs the host's client certificate.
      security: []
      parameters:
        - { name: id, in: path, required: true, schema: { type: string, maxLength: 64 } }
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [succeeded, message]
              properties:
                succeeded: { type: boolean }
                message: { type: string }
      responses:
        "200":
          description: Recorded.
          content:
            application/json:
              schema: { type: object, required: [recorded], properties: { recorded: { type: boolean } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/actions:
    get:
      operationId: listActions
      summary: Requested actions, newest first (viewer).
      parameters:
        - { name: host, in: query, schema: { type: string } }
      responses:
        "200":
          description: The actions.
          content:
            application/json:
              schema:
                type: object
                required: [actions]
                properties:
                  actions: { type: array, items: { $ref: "#/components/schemas/Action" } }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
    post:
      operationId: requestAction
      summary: Ask a host to run an audit now, or to quarantine or release a VM (operator).
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [host, kind, reason]
              properties:
                host: { $ref: "#/components/schemas/Name" }
                kind: { enum: [audit, quarantine, release] }
                vm: { type: [string, "null"], maxLength: 200, description: "The libvirt domain: needed by quarantine and release, ignored by audit." }
                reason: { type: string, minLength: 1, maxLength: 500, pattern: "\\S" }
      responses:
        "201":
          description: Requested; the host picks it up on its long poll.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Action" }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/hosts:
    get:
      operationId: listHosts
      summary: Every enrolled host (viewer).
      responses:
        "200":
          description: The hosts.
          content:
            application/json:
              schema:
                type: object
                required: [hosts]
                properties:
                  hosts:
                    type: array
                    items: { $ref: "#/components/schemas/Host" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/hosts/{name}/revoke:
    post:
      operationId: revokeHost
      summary: Revoke a host's certificates and its name for good (admin).
      parameters:
        - name: name
          in: path
          required: true
          schema: { $ref: "#/components/schemas/Name" }
      responses:
        "200":
          description: Revoked.
          content:
            application/json:
              schema:
                type: object
                required: [host, revoked_certificates]
                properties:
                  host: { type: string }
                  revoked_certificates: { type: integer }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/events:
    get:
      operationId: listEvents
      summary: Stored events, newest first, filtered (viewer).
      parameters:
        - { name: host, in: query, schema: { type: string } }
        - { name: kind, in: query, schema: { type: string } }
        - name: severity
          in: query
          schema: { type: string, enum: [info, low, medium, high, critical] }
        - { name: before, in: query, schema: { type: integer, minimum: 1, maximum: 9223372036854775807 } }
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 1000, default: 100 } }
      responses:
        "200":
          description: A page of events; next_before is present when there may be more.
          content:
            application/json:
              schema:
                type: object
                required: [events]
                properties:
                  next_before: { type: integer }
                  events:
                    type: array
                    items:
                      type: object
                      required: [seq, host, event]
                      properties:
                        seq: { type: integer }
                        host: { type: string }
                        event: { $ref: "#/components/schemas/Event" }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
  /v1/enrollment-tokens:
    post:
      operationId: createEnrollmentToken
      summary: A one-time enrollment token for a group (admin); shown once.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [group]
              properties:
                group: { $ref: "#/components/schemas/Name" }
                expires_in_seconds: { type: [integer, "null"], minimum: 60, maximum: 604800, default: 3600, description: Absent or null is 3600. }
      responses:
        "201":
          description: Made.
          content:
            application/json:
              schema:
                type: object
                required: [token, group, expires_at]
                properties:
                  token: { type: string }
                  group: { type: string }
                  expires_at: { type: string }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/Problem" }
components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      description: An API token (hwk_…) from `hyperward server user add`.
  responses:
    Problem:
      description: An RFC 9457 problem document.
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
  schemas:
    Name:
      type: string
      pattern: "^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$"
    Problem:
      type: object
      required: [type, title, status, detail]
      properties:
        type: { type: string }
        title: { type: string }
        status: { type: integer }
        detail: { type: string }
    Action:
      type: object
      required: [id, host, kind, vm, reason, requested_by, requested_at, state, result, finished_at]
      properties:
        id: { type: string }
        host: { type: string }
        kind: { enum: [audit, quarantine, release] }
        vm: { type: [string, "null"] }
        reason: { type: string }
        requested_by: { type: string }
        requested_at: { type: string }
        state: { enum: [pending, delivered, succeeded, failed] }
        result: { type: [string, "null"] }
        finished_at: { type: [string, "null"] }
    Host:
      type: object
      required: [name, group, enrolled_at, last_seen, revoked_at, hostname, dropped_total]
      properties:
        name: { type: string }
        group: { type: string }
        enrolled_at: { type: string }
        last_seen: { type: [string, "null"] }
        revoked_at: { type: [string, "null"] }
        hostname: { type: [string, "null"] }
        dropped_total: { type: integer }
    Event:
      type: object
      description: The event envelope (docs/events.md).
      required: [id, time, engine, kind, summary]
      properties:
        schema_version: { type: integer }
        id: { type: string, minLength: 1, maxLength: 64 }
        time: { type: string, minLength: 20, maxLength: 40 }
        host: { type: [string, "null"] }
        engine: { type: string }
        kind: { type: string, minLength: 1, maxLength: 128 }
        severity: { enum: [info, low, medium, high, critical, null] }
        subject: { type: [string, "null"] }
        vm: { type: [string, "null"] }
        interface: { type: [string, "null"] }
        threat: { enum: [T1, T2, T3, T4, T5, null] }
        summary: { type: string }
        evidence:
          type: array
          items: { $ref: "#/components/schemas/Evidence" }
        body: { type: [object, "null"] }
    Evidence:
      type: object
      required: [kind]
      properties:
        kind: { type: string }
        value: { type: [string, "null"] }
        path: { type: [string, "null"] }
        sha256: { type: [string, "null"] }
        bytes: { type: [integer, "null"], minimum: -9007199254740991, maximum: 9007199254740991 }
        line: { type: [integer, "null"], minimum: -9007199254740991, maximum: 9007199254740991 }

"""#
}
