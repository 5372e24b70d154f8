/**
 * @kafkajs/confluent-schema-registry (the KafkaJS ecosystem's client), unchanged, against a tenant
 * provisioned on the local platform and reached through the dispatcher by the URL `tenant create`
 * printed alone (the path form, no agent, resolver or Host header), with HTTP Basic auth:
 * register, fetch by id, a Confluent wire-format round trip decoded by a second client with an
 * empty cache (so the schema really comes back from the registry), an incompatible change
 * refused, and a schema whose reference the client resolves from the registry.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClientTenant, type ClientTenant } from "./client-tenant.ts";

describe("@kafkajs/confluent-schema-registry against a tenant", () => {
  let tenant: ClientTenant;
  /** A client as its users configure one: the registry's URL (the one `create` printed) and Basic credentials. */
  const newClient = () =>
    new SchemaRegistry({
      host: tenant.baseUrl,
      auth: tenant.basic,
      clientId: "wfp-client-test",
      retry: { retries: 0 },
    });

  beforeAll(async () => {
    tenant = await startClientTenant("kafkajs");
  });
  afterAll(async () => {
    await tenant?.close();
  });

  const orderV1 = {
    type: "record" as const,
    name: "OrderPlaced",
    namespace: "com.acme.orders",
    fields: [
      { name: "id", type: "string" },
      { name: "amount", type: "long" },
    ],
  };

  it("registers an Avro schema, fetches it by id, and round-trips a message in the wire format", async () => {
    // The URL alone: what create printed, on loopback, naming the tenant's hostname in its path.
    expect(tenant.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_tenant\/registry\.kafkajs\.localhost$/);
    const producer = newClient();
    const { id } = await producer.register(orderV1, { subject: "orders-value", compatibility: COMPATIBILITY.BACKWARD });
    expect(id).toBeGreaterThan(0);
    // The client set the subject's level on first registration (PUT /config/{subject}).
    expect(await producer.getLatestSchemaId("orders-value")).toBe(id);
    expect(await producer.getRegistryId("orders-value", 1)).toBe(id);

    const consumer = newClient();
    const fetched = await consumer.getSchema(id);
    expect(fetched).toMatchObject({ name: "com.acme.orders.OrderPlaced" });

    const message = { id: "o-1", amount: 4200 };
    const encoded = await producer.encode(id, message);
    expect(encoded[0]).toBe(0); // magic byte
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await newClient().decode(encoded)).toEqual(message);

    // Registering the same schema again answers the same id.
    expect(
      (await newClient().register(orderV1, { subject: "orders-value", compatibility: COMPATIBILITY.BACKWARD })).id,
    ).toBe(id);
  });

  it("is refused an incompatible change under BACKWARD with Confluent's 409", async () => {
    const client = newClient();
    await client.register(orderV1, { subject: "orders-compat-value", compatibility: COMPATIBILITY.BACKWARD });
    // A new field without a default: a BACKWARD reader cannot read old records.
    const incompatible = { ...orderV1, fields: [...orderV1.fields, { name: "currency", type: "string" }] };
    await expect(
      client.register(incompatible, { subject: "orders-compat-value", compatibility: COMPATIBILITY.BACKWARD }),
    ).rejects.toMatchObject({
      name: "ResponseError",
      status: 409,
      message: expect.stringMatching(/incompatible/i),
    });
    // The compatible evolution (the field has a default) is accepted as version 2.
    const compatible = {
      ...orderV1,
      fields: [...orderV1.fields, { name: "currency", type: "string", default: "EUR" }],
    };
    const { id } = await client.register(compatible, {
      subject: "orders-compat-value",
      compatibility: COMPATIBILITY.BACKWARD,
    });
    expect(await client.getRegistryId("orders-compat-value", 2)).toBe(id);
    // A subject already at BACKWARD: the client refuses to register with another level it was asked to expect.
    await expect(
      client.register(compatible, { subject: "orders-compat-value", compatibility: COMPATIBILITY.FULL }),
    ).rejects.toThrow(/does not match/);
  });

  it("registers and round-trips JSON Schema and Protobuf", async () => {
    const client = newClient();
    const jsonSchema = JSON.stringify({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { sku: { type: "string" }, qty: { type: "integer" } },
      required: ["sku"],
    });
    const json = await client.register({ type: SchemaType.JSON, schema: jsonSchema }, { subject: "stock-json-value" });
    const jsonMessage = { sku: "A-1", qty: 3 };
    const jsonEncoded = await client.encode(json.id, jsonMessage);
    expect(jsonEncoded.readInt32BE(1)).toBe(json.id);
    expect(await newClient().decode(jsonEncoded)).toEqual(jsonMessage);
    await expect(client.encode(json.id, { qty: 3 })).rejects.toThrow(/invalid payload/i);

    const proto =
      'syntax = "proto3";\npackage com.acme.stock;\n\nmessage StockChanged {\n  string sku = 1;\n  int32 qty = 2;\n}\n';
    const protobuf = await client.register(
      { type: SchemaType.PROTOBUF, schema: proto },
      { subject: "stock-proto-value" },
    );
    const protoEncoded = await client.encode(protobuf.id, { sku: "B-2", qty: 7 });
    expect(protoEncoded.readInt32BE(1)).toBe(protobuf.id);
    expect({ ...(await newClient().decode(protoEncoded)) }).toEqual({ sku: "B-2", qty: 7 });
  });

  it("is refused with 401 without the key's secret, and accepts the whole key as the password", async () => {
    const wrong = new SchemaRegistry({
      host: tenant.baseUrl,
      auth: { username: "admin", password: "not-the-secret" },
      retry: { retries: 0 },
    });
    await expect(wrong.getLatestSchemaId("orders-value")).rejects.toMatchObject({ status: 401, unauthorized: true });
    const whole = new SchemaRegistry({
      host: tenant.baseUrl,
      auth: { username: "admin", password: tenant.adminKey },
      retry: { retries: 0 },
    });
    await expect(whole.register(orderV1, { subject: "orders-whole-key-value" })).resolves.toMatchObject({
      id: expect.any(Number),
    });
  });

  it("resolves a reference to another subject's version when registering and decoding", async () => {
    const client = newClient();
    const money = {
      type: "record" as const,
      name: "Money",
      namespace: "com.acme.common",
      fields: [
        { name: "units", type: "long" },
        { name: "currency", type: "string" },
      ],
    };
    await client.register(money, { subject: "com.acme.common.Money" });
    const payment = JSON.stringify({
      type: "record",
      name: "PaymentTaken",
      namespace: "com.acme.payments",
      fields: [
        { name: "id", type: "string" },
        { name: "total", type: "com.acme.common.Money" },
      ],
    });
    const references = [{ name: "com.acme.common.Money", subject: "com.acme.common.Money", version: 1 }];
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: payment, references },
      { subject: "payments-value" },
    );
    const message = { id: "p-1", total: { units: 1999, currency: "EUR" } };
    const encoded = await client.encode(id, message);
    // A fresh client reads the schema by id, sees its reference and fetches the referenced version.
    expect(await newClient().decode(encoded)).toEqual(message);
  });
});
