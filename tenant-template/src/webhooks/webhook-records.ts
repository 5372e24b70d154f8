/**
 * The shapes the webhooks API answers: a webhook, and a delivery as the delivery log answers it
 * (`GET /api/webhooks/{id}/deliveries`). Types alone, so the console (tenant-template/console)
 * reads the same shapes without the Worker's types.
 */

/** A webhook as the API answers it: never its secret. */
export interface WebhookRecord {
  id: string;
  url: string;
  /** null: every event type. */
  events: string[] | null;
  description: string;
  createdAt: string;
  createdBy: string;
  /** After a rotation: until then, deliveries are signed with the previous secret too. */
  previousSecretExpiresAt: string | null;
}

/** A delivery as the log answers it. */
export interface DeliveryRecord {
  id: number;
  eventId: string;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  /** The receiver's last HTTP status; null when it could not be reached. */
  lastStatus: number | null;
  lastError: string | null;
  /** When a pending delivery is tried next. */
  nextAttemptAt: string | null;
}
