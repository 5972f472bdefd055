import { createToken } from '@caruso/kernel';

/** One connection point of a customer as a dialogue script sees it, with its last meter reading. */
export interface ConnectionView {
  readonly ean: string;
  readonly product: string;
  readonly meterNumber: string;
  readonly meterType: string;
  readonly postcode: string;
  /** The postcode's four digits (an outage area). */
  readonly postcodeArea: string;
  /** The last reading's normal (day) register, or null when there is none. */
  readonly lastNormal: number | null;
  readonly lastLow: number | null;
  readonly lastReadingDate: string | null;
}

/**
 * A customer as the dialogue scripts see it: the record's own fields, the open complaints and one
 * connection per product under the product's name (`electricity`, `gas`, `water`, …; null when the
 * customer has none).
 */
export interface CustomerView {
  readonly id: number;
  readonly customerNumber: string;
  readonly fullName: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly billingAccount: string | null;
  readonly postcode: string | null;
  readonly segment: string;
  readonly language: string;
  readonly doNotCall: boolean;
  /** Complaints not closed. */
  readonly openComplaints: number;
  readonly connections: readonly ConnectionView[];
  readonly [product: string]: unknown;
}

/** What {@link UtilityCustomers.recordReading} takes (the meter-reading script's parameters). */
export interface ReadingRequest {
  readonly ean: string;
  /** `YYYY-MM-DD`; default today. */
  readonly readingDate?: string;
  readonly normal: number;
  readonly low?: number | null;
  /** The script's channel: `agent`, `web` or `ivr`. */
  readonly channel?: string;
}

/** What {@link UtilityCustomers.recordMove} takes (the move-house script's parameters). */
export interface MoveRequest {
  readonly customerNumber: string;
  readonly ean?: string | null;
  readonly moveOutDate: string;
  readonly newStreet: string;
  readonly newHouseNumber: string;
  readonly newPostcode: string;
  readonly newCity: string;
  readonly finalReadingNormal?: number | null;
  readonly finalReadingLow?: number | null;
}

/** What {@link UtilityCustomers.reportOutage} takes (the outage-report script's parameters). */
export interface OutageReport {
  readonly product: string;
  /** Four digits. */
  readonly postcodeArea: string;
  readonly neighbours?: boolean | null;
  /** The caller's number: their connections in the area are linked to the outage. */
  readonly caller?: string | null;
  readonly channel?: string | null;
}

/** An outage as a script sees it. */
export interface OutageView {
  readonly reference: string;
  readonly product: string;
  readonly postcodeArea: string;
  readonly status: string;
  /** `HH:MM` (Europe/Amsterdam) when an end is expected, else null. */
  readonly expectedEndTime: string | null;
  /** True when this report opened the outage. */
  readonly created?: boolean;
}

/** What {@link UtilityCustomers.fileComplaint} takes (the complaint script's parameters). */
export interface ComplaintRequest {
  readonly customerNumber: string;
  readonly subject: string;
  readonly description: string;
  readonly priority?: string;
  readonly escalationLevel?: number;
}

/** What {@link UtilityCustomers.switchTariff} takes (the green-energy campaign's parameters). */
export interface TariffSwitch {
  readonly contractNumber: string;
  readonly tariffCode: string;
  /** `YYYY-MM-DD`: the old contract ends the day before. */
  readonly startDate: string;
}

/**
 * The customer desk: what the dialogue scripts of the utility vertical fetch customers from and
 * record readings, moves, outages and complaints with. Every write is one transaction over the
 * business objects (validated by the model's rules); bad input throws CARUSO_UTILITY_BAD_REQUEST and
 * writes nothing; an unknown customer throws CARUSO_UTILITY_UNKNOWN_CUSTOMER.
 */
export interface UtilityCustomers {
  /** The customer with this phone number (`+31…`, `0031…` and `06…` forms match), or null. */
  findByPhone(phone: unknown): Promise<CustomerView | null>;
  /** The customer with this customer number (`K123456`), or null. */
  get(customerNumber: unknown): Promise<CustomerView | null>;
  /** Records a meter reading on the connection with that EAN. */
  recordReading(request: ReadingRequest): Promise<{ readonly id: number; readonly ean: string; readonly readingDate: string; readonly total: number }>;
  /** Records a move (status `registered`) of the customer away from the connection with that EAN. */
  recordMove(request: MoveRequest): Promise<{ readonly id: number; readonly status: string; readonly moveOutDate: string }>;
  /** Reports an outage: joins the open one of that product and area, or opens a new one. */
  reportOutage(request: OutageReport): Promise<OutageView>;
  /** The open outage of `product:postcodeArea` (e.g. `electricity:3511`), or null. */
  outageAt(key: unknown): Promise<OutageView | null>;
  /** Files a complaint; level 1 or 2 makes it `escalated`. */
  fileComplaint(request: ComplaintRequest): Promise<{ readonly id: number; readonly status: string; readonly answerBefore: string }>;
  /** Moves a contract to another tariff from a date: the old contract ends the day before, a new one starts. */
  switchTariff(request: TariffSwitch): Promise<{ readonly contractNumber: string; readonly tariffCode: string; readonly startDate: string; readonly previousContract: string }>;
  /** Puts the customer on the do-not-call list (campaigns skip them). */
  doNotCall(request: { readonly customerNumber: string }): Promise<{ readonly customerNumber: string; readonly doNotCall: true }>;
}

/** The token the scripts name: `<fetch source="utility.Customers">`, `<action service="utility.Customers">`. */
export const UtilityCustomers = createToken<UtilityCustomers>('utility.Customers');
