/**
 * A webhook delivery as the delivery log answers it (`GET /api/webhooks/{id}/deliveries`): a type
 * alone, so the console (tenant-template/console) reads the same shape without the Worker's types.
 */
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
