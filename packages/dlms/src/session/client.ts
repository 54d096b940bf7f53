import {
  AssociationResult,
  type Conformance,
  conformanceFromBits,
  conformanceMask,
  conformanceToBits,
  decodeAare,
  decodeConfirmedServiceError,
  decodeRlre,
  decodeUserInformation,
  encodeRlrq,
  ReleaseRequestReason,
} from '../acse/index.ts';
import {
  decodeXdlmsApdu,
  encodeXdlmsApdu,
  exceptionServiceErrorName,
  exceptionStateErrorName,
  type XdlmsApdu,
} from '../apdu/index.ts';
import type { DlmsData } from '../axdr/index.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import {
  cipherApdu,
  decipherApdu,
  generateChallenge,
  hlsGmacF,
  isCipheredTag,
  type KeyResolverContext,
  type SecurityKeys,
  verifyHlsGmacF,
} from '../security/index.ts';
import { associationRejected, buildAarq, confirmedServiceError, serviceError } from './client-association.ts';
import { ClientExchange, type ExchangeChannel, type ExchangeHandler } from './client-exchange.ts';
import {
  actionListSize,
  chunkBySize,
  getListSize,
  only,
  sequence,
  setListSize,
  single,
  singleResult,
} from './client-lists.ts';
import { isNotificationTag, notificationEvent } from './client-notification.ts';
import {
  actionListOperation,
  actionOperation,
  getListOperation,
  getOperation,
  type Operation,
  type OperationContext,
  setListOperation,
  setOperation,
} from './client-ops.ts';
import { type EventSink, type SessionHooks, SessionWarning } from './events.ts';
import type { Exchange } from './exchange.ts';
import {
  CIPHER_OVERHEAD,
  cipheredTag,
  policyRequirement,
  protocolError,
  securityControlFor,
} from './protection.ts';
import type { ActionItem, AttributeRef, ListResult, MethodRef, SetItem } from './refs.ts';
import {
  ASSOCIATION_LN_CLASS_ID,
  type AssociationSettings,
  CURRENT_ASSOCIATION_LN,
  DEFAULT_CHALLENGE_LENGTH,
  DEFAULT_MAX_PDU_SIZE,
  REPLY_TO_HLS_AUTHENTICATION,
  requiresCiphering,
  type SecurityContext,
} from './settings.ts';

export interface ClientSessionOptions {
  association: AssociationSettings;
  /** Required for ciphering and for HLS-GMAC. */
  security?: SecurityContext;
  hooks?: SessionHooks;
}

/** What the AARE (InitiateResponse) granted. */
export interface AssociationInfo {
  conformance: Conformance;
  /** The same as a 24-bit integer (bit 0 = 0x800000). */
  conformanceBits: number;
  serverMaxReceivePduSize: number;
  dlmsVersion: number;
  serverSystemTitle?: Uint8Array;
}

export type ClientState = 'idle' | 'associating' | 'associated' | 'released';

const PLAIN_ALLOWED_IN_CIPHERED = new Set([0xd8, 0x0e, 0x60, 0x61, 0x62, 0x63]);

/** Abandoned requests remembered at most; the oldest is forgotten beyond this. */
const MAX_UNANSWERED = 8;

type Feature = Parameters<OperationContext['negotiated']>[0];

/** Conformance bit behind each feature an operation asks about. */
const FEATURE_MASK: Record<Feature, number> = {
  'block-get': conformanceMask('block-transfer-with-get-or-read'),
  'block-set': conformanceMask('block-transfer-with-set-or-write'),
  'block-action': conformanceMask('block-transfer-with-action'),
  gbt: conformanceMask('general-block-transfer'),
  'multiple-references': conformanceMask('multiple-references'),
};

/**
 * The client (head-end) side of one DLMS association, LN referencing. Pure: every operation
 * returns an Exchange holding the bytes to send; the caller feeds the responses back. One
 * exchange at a time, as DLMS servers expect.
 */
export class ClientSession {
  state: ClientState = 'idle';
  info: AssociationInfo | undefined;
  private readonly settings: AssociationSettings;
  private readonly security: SecurityContext | undefined;
  private readonly hooks: SessionHooks;
  private invokeId = 0;
  /** Invoke-id of the request sent last (the open exchange's current request). */
  private lastInvokeId = -1;
  /**
   * Invoke-ids of abandoned requests the server has not answered yet, oldest first. New
   * requests avoid them, so a late answer is told apart from the current one.
   */
  private readonly unanswered = new Set<number>();
  private busy = false;
  private current: ClientExchange<unknown> | undefined;
  /** The open exchange is an ACSE one (association, release): it has no invoke-id. */
  private currentAcse = false;
  private dedicatedKey: Uint8Array | undefined;
  /** Shared by every exchange of this session: it holds no per-exchange state. */
  private readonly channel: ExchangeChannel;

  constructor(options: ClientSessionOptions) {
    this.settings = options.association;
    this.security = options.security;
    this.hooks = options.hooks ?? {};
    this.channel = {
      wrap: (plain, sink, isAcse) => this.wrap(plain, sink, isAcse),
      gbtLimit: () => (this.negotiatedBit(FEATURE_MASK.gbt) ? this.serverMaxPdu() : undefined),
      hooks: this.hooks,
      finish: () => {
        this.busy = false;
      },
    };
    const needsKeys = requiresCiphering(this.security?.policy) || this.settings.authentication === 'hls-gmac';
    if (needsKeys && this.security === undefined) {
      throw new DlmsError(DlmsErrorCode.Security, 'ciphering and HLS-GMAC need a security context');
    }
    if (this.settings.authentication === 'low' && this.settings.password === undefined) {
      throw new DlmsError(DlmsErrorCode.Security, 'LLS needs a password');
    }
  }

  private get ciphering(): boolean {
    return requiresCiphering(this.security?.policy);
  }

  private negotiatedBit(mask: number): boolean {
    return this.info !== undefined && (this.info.conformanceBits & mask) !== 0;
  }

  private readonly operationContext: OperationContext = {
    invokeIdAndPriority: () => {
      let id = this.invokeId;
      while (this.unanswered.has(id)) id = (id + 1) & 0x0f;
      this.invokeId = (id + 1) & 0x0f;
      this.lastInvokeId = id;
      return 0xc0 | id;
    },
    negotiated: (feature) => this.negotiatedBit(FEATURE_MASK[feature]),
    requestLimit: () => this.serverMaxPdu() - (this.ciphering ? CIPHER_OVERHEAD : 0),
    outstandingRequests: () => this.unanswered.size + 1,
  };

  private serverMaxPdu(): number {
    const n = this.info?.serverMaxReceivePduSize ?? DEFAULT_MAX_PDU_SIZE;
    return n === 0 ? DEFAULT_MAX_PDU_SIZE : n;
  }

  private open<T>(first: Uint8Array, acse: boolean, handler: ExchangeHandler<T>): Exchange<T> {
    if (this.busy) throw protocolError('another exchange is still in progress');
    const exchange = new ClientExchange<T>(this.channel, first, acse, handler);
    this.busy = true;
    this.current = exchange as ClientExchange<unknown>;
    this.currentAcse = acse;
    return exchange;
  }

  private keysFor(kind: 'glo' | 'ded'): SecurityKeys {
    const sec = this.security!;
    if (kind === 'ded') {
      if (this.dedicatedKey === undefined) throw new DlmsError(DlmsErrorCode.Security, 'no dedicated key');
      return { ek: this.dedicatedKey, ak: sec.keys.ak };
    }
    return sec.keys;
  }

  private readonly resolveKeys = ({ kind, securityControl }: KeyResolverContext): SecurityKeys =>
    securityControl.keySet === 'broadcast'
      ? this.broadcastKeys()
      : this.keysFor(kind === 'ded' || kind === 'general-ded' ? 'ded' : 'glo');

  private broadcastKeys(): SecurityKeys {
    const sec = this.security!;
    if (sec.broadcastKey === undefined) {
      throw new DlmsError(
        DlmsErrorCode.Security,
        'APDU under the broadcast key set but no broadcast key is configured',
      );
    }
    return { ek: sec.broadcastKey, ak: sec.keys.ak };
  }

  private wrap(plain: Uint8Array, sink: EventSink, acse: boolean): Uint8Array {
    sink.trace('tx', 'plain', plain);
    if (acse || !this.ciphering) return plain;
    const sec = this.security!;
    const style = sec.style ?? 'glo';
    const wire = cipherApdu({
      tag: cipheredTag(plain[0]!, style),
      securityControl: securityControlFor(sec.policy),
      systemTitle: sec.systemTitle,
      invocationCounter: sec.invocationCounters.nextToSend(),
      plaintext: plain,
      keys: this.keysFor(style === 'ded' ? 'ded' : 'glo'),
    });
    sink.trace('tx', 'ciphered', wire);
    return wire;
  }

  private unwrap(raw: Uint8Array, sink: EventSink): Uint8Array {
    if (raw.length > 0 && isCipheredTag(raw[0]!)) {
      sink.trace('rx', 'ciphered', raw);
      const sec = this.security;
      if (sec === undefined)
        throw new DlmsError(DlmsErrorCode.Security, 'ciphered APDU without a security context');
      const d = decipherApdu(raw, {
        keyResolver: this.resolveKeys,
        ...(sec.serverSystemTitle === undefined ? {} : { systemTitle: sec.serverSystemTitle }),
        guard: sec.invocationCounters,
        ...(requiresCiphering(sec.policy) ? { require: policyRequirement(sec.policy) } : {}),
      });
      sink.trace('rx', 'plain', d.plaintext);
      return d.plaintext;
    }
    sink.trace('rx', 'plain', raw);
    if (this.ciphering && raw.length > 0 && !PLAIN_ALLOWED_IN_CIPHERED.has(raw[0]!)) {
      throw new DlmsError(DlmsErrorCode.Security, 'unciphered response inside a ciphered association');
    }
    return raw;
  }

  /** A plain notification is accepted in any association: it answers nothing and changes nothing. */
  private tracedPlain(raw: Uint8Array, sink: EventSink): Uint8Array {
    sink.trace('rx', 'plain', raw);
    return raw;
  }

  private decodeResponse(plain: Uint8Array, sink: EventSink): XdlmsApdu {
    if (plain[0] === 0x0e) throw confirmedServiceError(decodeConfirmedServiceError(plain));
    const apdu = decodeXdlmsApdu(plain);
    if (apdu.type === 'exception-response') {
      throw serviceError(
        `exception-response: ${exceptionStateErrorName(apdu.stateError)}, ${exceptionServiceErrorName(apdu.serviceError)}`,
        {
          stateError: exceptionStateErrorName(apdu.stateError),
          serviceError: exceptionServiceErrorName(apdu.serviceError),
          ...(apdu.invocationCounter === undefined ? {} : { invocationCounter: apdu.invocationCounter }),
        },
      );
    }
    if (apdu.trailing !== undefined) {
      sink.warn(SessionWarning.TrailingBytes, `${apdu.trailing.length} bytes after the ${apdu.type} ignored`);
    }
    return apdu;
  }

  private service<R>(op: Operation<R>): Exchange<R> {
    if (this.state !== 'associated') throw protocolError(`not associated (state ${this.state})`);
    return this.open(op.start(), false, (raw, sink) => {
      const plain = isNotificationTag(raw[0]) ? this.tracedPlain(raw, sink) : this.unwrap(raw, sink);
      const note = notificationEvent(plain, plain !== raw);
      if (note !== undefined) {
        sink.push(note);
        return { wait: true };
      }
      const apdu = this.decodeResponse(plain, sink);
      if (this.lateAnswer(apdu, sink)) return { wait: true };
      return op.step(apdu, sink);
    });
  }

  /** An answer to an abandoned request, recognised by its invoke-id: dropped with a warning. */
  private lateAnswer(apdu: XdlmsApdu, sink: EventSink): boolean {
    if (!('invokeIdAndPriority' in apdu)) return false;
    const id = apdu.invokeIdAndPriority & 0x0f;
    if (id === this.lastInvokeId || !this.unanswered.delete(id)) return false;
    sink.warn(SessionWarning.LateResponse, `late ${apdu.type} to abandoned request invoke-id ${id} dropped`);
    return true;
  }

  /**
   * Stops waiting for the open exchange's response without ending the association (e.g.
   * after a response timeout, when the caller means to go on): the exchange fails any APDU
   * fed to it afterwards and a new one may start. The abandoned request stays outstanding
   * until its answer comes (recognised by its invoke-id and dropped); meanwhile a response
   * with a foreign invoke-id is refused rather than tolerated. Abandoning the association or
   * release exchange forgets the association, as `reset` does.
   */
  abandon(): void {
    const exchange = this.current;
    if (!this.busy || exchange === undefined || exchange.finished) return;
    if (this.currentAcse || this.state !== 'associated') {
      exchange.abandon();
      this.reset();
      return;
    }
    if (this.lastInvokeId >= 0) {
      this.unanswered.delete(this.lastInvokeId);
      this.unanswered.add(this.lastInvokeId);
      if (this.unanswered.size > MAX_UNANSWERED)
        this.unanswered.delete(this.unanswered.values().next().value!);
    }
    exchange.abandon();
  }

  // ---- association -------------------------------------------------------------------------

  /** AARQ, then for HLS-GMAC pass 3/4 (reply_to_HLS_authentication) in the same exchange. */
  associate(): Exchange<AssociationInfo> {
    if (this.state === 'associated' || this.state === 'associating') {
      throw protocolError(`cannot associate in state ${this.state}`);
    }
    const s = this.settings;
    const sec = this.security;
    const hls = s.authentication === 'hls-gmac';
    const style = sec?.style ?? 'glo';
    if (this.ciphering && style === 'ded') {
      this.dedicatedKey = sec!.dedicatedKey ?? generateChallenge(16, sec!.random);
    }
    const ctos = hls
      ? generateChallenge(s.challengeLength ?? DEFAULT_CHALLENGE_LENGTH, sec!.random)
      : undefined;
    const aarq = buildAarq(s, sec, this.ciphering, this.dedicatedKey, ctos);
    this.unanswered.clear();
    let hlsInvokeId = -1;
    const exchange = this.open<AssociationInfo>(aarq, true, (raw, sink) => {
      if (hlsInvokeId < 0) {
        const stoc = this.onAare(this.unwrap(raw, sink), hls, sink);
        if (!hls) return { done: this.info! };
        const iip = this.operationContext.invokeIdAndPriority();
        hlsInvokeId = iip & 0x0f;
        const f = hlsGmacF({
          systemTitle: sec!.systemTitle,
          invocationCounter: sec!.invocationCounters.nextToSend(),
          challenge: stoc!,
          ek: sec!.keys.ek,
          ak: sec!.keys.ak,
        });
        return {
          next: encodeXdlmsApdu({
            type: 'action-request',
            choice: 'normal',
            invokeIdAndPriority: iip,
            cosemMethodDescriptor: {
              classId: ASSOCIATION_LN_CLASS_ID,
              instanceId: CURRENT_ASSOCIATION_LN,
              methodId: REPLY_TO_HLS_AUTHENTICATION,
            },
            methodInvocationParameters: { type: 'octet-string', value: f },
          }),
        };
      }
      const reply = this.decodeResponse(this.unwrap(raw, sink), sink);
      return { done: this.onHlsReply(reply, hlsInvokeId, ctos!, sink) };
    });
    this.state = 'associating';
    const original = exchange.receive.bind(exchange);
    return Object.assign(exchange, {
      receive: (apdu: Uint8Array) => {
        const step = original(apdu);
        if (step.status === 'failed') this.state = 'idle';
        else if (step.status === 'done') this.state = 'associated';
        return step;
      },
    });
  }

  /** Applies an accepted AARE; returns StoC for HLS. */
  private onAare(plain: Uint8Array, hls: boolean, sink: EventSink): Uint8Array | undefined {
    if (plain[0] === 0xd8 || plain[0] === 0x0e) this.decodeResponse(plain, sink);
    if (plain[0] !== 0x61) throw protocolError(`expected an AARE, got tag 0x${plain[0]?.toString(16)}`);
    const aare = decodeAare(plain);
    if (aare.result !== AssociationResult.accepted) throw associationRejected(aare);
    if (aare.trailing !== undefined) {
      sink.warn(SessionWarning.TrailingBytes, `${aare.trailing.length} bytes after the AARE fields ignored`);
    }
    const sec = this.security;
    if (sec !== undefined && aare.respondingApTitle !== undefined)
      sec.serverSystemTitle = aare.respondingApTitle;
    if (aare.userInformation === undefined) throw protocolError('AARE without user-information');
    let user = decodeUserInformation(aare.userInformation);
    if (user.kind === 'ciphered') {
      if (sec === undefined)
        throw new DlmsError(DlmsErrorCode.Security, 'ciphered AARE without a security context');
      const d = decipherApdu(user.raw, {
        keys: sec.keys,
        ...(sec.serverSystemTitle === undefined ? {} : { systemTitle: sec.serverSystemTitle }),
        guard: sec.invocationCounters,
        ...(requiresCiphering(sec.policy) ? { require: policyRequirement(sec.policy) } : {}),
      });
      user = decodeUserInformation(d.plaintext);
    }
    if (user.kind === 'confirmed-service-error') throw confirmedServiceError(user.value);
    if (user.kind !== 'initiate-response') throw protocolError(`AARE user-information is ${user.kind}`);
    if (user.trailing !== undefined) {
      sink.warn(
        SessionWarning.TrailingBytes,
        `${user.trailing.length} bytes after the InitiateResponse ignored`,
      );
    }
    const r = user.value;
    const bits = conformanceToBits(r.negotiatedConformance);
    this.info = {
      conformance: conformanceFromBits(bits),
      conformanceBits: bits,
      serverMaxReceivePduSize: r.serverMaxReceivePduSize,
      dlmsVersion: r.negotiatedDlmsVersionNumber,
      ...(sec?.serverSystemTitle === undefined ? {} : { serverSystemTitle: sec.serverSystemTitle }),
    };
    if (!hls) return undefined;
    const v = aare.respondingAuthenticationValue;
    if (v === undefined || v.type !== 'charstring') {
      throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'AARE carries no StoC challenge for HLS');
    }
    if (sec?.serverSystemTitle === undefined) {
      throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'AARE carries no server system title for HLS');
    }
    return v.value;
  }

  private onHlsReply(apdu: XdlmsApdu, invokeId: number, ctos: Uint8Array, sink: EventSink): AssociationInfo {
    const sec = this.security!;
    if (apdu.type !== 'action-response' || apdu.choice !== 'normal') {
      throw protocolError(`expected the reply_to_HLS_authentication response, got ${apdu.type}`);
    }
    const got = apdu.invokeIdAndPriority & 0x0f;
    if (got !== invokeId) {
      // Pass 3 is the only request of a new association: the answer can only be its own.
      sink.warn(
        SessionWarning.InvokeIdMismatch,
        `reply_to_HLS_authentication response with invoke-id ${got} accepted for request invoke-id ${invokeId}, the only request outstanding`,
      );
    }
    const r = apdu.singleResponse;
    const p = r.returnParameters;
    if (r.result !== 0 || p === undefined || p.choice !== 'data' || p.data.type !== 'octet-string') {
      throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'server refused f(StoC) (HLS pass 3)', {
        detail: { result: r.result },
      });
    }
    verifyHlsGmacF(p.data.value, {
      systemTitle: sec.serverSystemTitle!,
      challenge: ctos,
      ek: sec.keys.ek,
      ak: sec.keys.ak,
    });
    return this.info!;
  }

  // ---- services ----------------------------------------------------------------------------

  get(ref: AttributeRef): Exchange<DlmsData> {
    return singleResult(this.service(only(() => getOperation(this.operationContext, ref))), 'get');
  }

  /**
   * GET-with-list, split so each request fits; one GET per attribute without
   * multiple-references. A single attribute (a list of one, or a run of one after the split)
   * always goes as GET-Request-Normal, as other clients send it: a with-list of one is legal
   * but some meter stacks mis-encode its answer.
   */
  getList(refs: readonly AttributeRef[]): Exchange<ListResult<DlmsData>[]> {
    const ctx = this.operationContext;
    if (!ctx.negotiated('multiple-references')) {
      return this.service(sequence(refs.map((ref) => single(() => getOperation(ctx, ref)))));
    }
    const chunks = chunkBySize(refs, getListSize, ctx.requestLimit());
    return this.service(
      sequence(
        chunks.map((c) =>
          c.length === 1 ? single(() => getOperation(ctx, c[0]!)) : () => getListOperation(ctx, c),
        ),
      ),
    );
  }

  set(ref: AttributeRef, value: DlmsData): Exchange<void> {
    const op = only(() => setOperation(this.operationContext, { ref, value }));
    return singleResult(this.service(op), 'set') as Exchange<void>;
  }

  /** SET-with-list split to fit; a run of one item goes as SET-Request-Normal (datablocks if too big). */
  setList(items: readonly SetItem[]): Exchange<ListResult<undefined>[]> {
    const ctx = this.operationContext;
    const limit = ctx.requestLimit();
    if (!ctx.negotiated('multiple-references')) {
      return this.service(sequence(items.map((item) => single(() => setOperation(ctx, item)))));
    }
    const chunks = chunkBySize(items, setListSize, limit);
    return this.service(
      sequence(
        chunks.map((c) =>
          c.length === 1 ? single(() => setOperation(ctx, c[0]!)) : () => setListOperation(ctx, c),
        ),
      ),
    );
  }

  action(ref: MethodRef, params?: DlmsData): Exchange<DlmsData | undefined> {
    const item: ActionItem = params === undefined ? { ref } : { ref, params };
    return singleResult(this.service(only(() => actionOperation(this.operationContext, item))), 'action');
  }

  /** ACTION-with-list split to fit; a run of one item goes as ACTION-Request-Normal. */
  actionList(items: readonly ActionItem[]): Exchange<ListResult<DlmsData | undefined>[]> {
    const ctx = this.operationContext;
    if (!ctx.negotiated('multiple-references')) {
      return this.service(sequence(items.map((item) => single(() => actionOperation(ctx, item)))));
    }
    const chunks = chunkBySize(items, actionListSize, ctx.requestLimit());
    return this.service(
      sequence(
        chunks.map((c) =>
          c.length === 1 ? single(() => actionOperation(ctx, c[0]!)) : () => actionListOperation(ctx, c),
        ),
      ),
    );
  }

  // ---- release -----------------------------------------------------------------------------

  /**
   * RLRQ. The association ends whatever comes back: an RLRE, an ExceptionResponse or
   * undecodable bytes (the latter two with a warning).
   */
  release(): Exchange<void> {
    if (this.state !== 'associated') throw protocolError(`not associated (state ${this.state})`);
    return this.open<void>(encodeRlrq({ reason: ReleaseRequestReason.normal }), true, (raw, sink) => {
      this.state = 'released';
      this.info = undefined;
      let plain: Uint8Array | undefined;
      try {
        plain = this.unwrap(raw, sink);
        if (plain[0] === 0x63) {
          decodeRlre(plain);
          return { done: undefined };
        }
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
      }
      if (plain?.[0] === 0xd8) {
        sink.warn(SessionWarning.ReleaseExceptionResponse, 'exception-response to RLRQ; released anyway');
      } else {
        sink.warn(SessionWarning.ReleaseMalformed, 'release response not decodable; released anyway');
      }
      return { done: undefined };
    });
  }

  /** Forgets the association without a release (link lost, DISC). */
  reset(): void {
    this.state = 'idle';
    this.info = undefined;
    this.busy = false;
    this.unanswered.clear();
  }
}
