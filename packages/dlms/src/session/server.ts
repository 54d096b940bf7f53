import {
  type Aare,
  type Aarq,
  AcseServiceUser,
  ApplicationContextName,
  AssociationResult,
  type ConformanceName,
  conformanceFromBits,
  conformanceMask,
  conformanceToBits,
  decodeAarq,
  decodeUserInformation,
  encodeAare,
  encodeInitiateResponse,
  encodeRlre,
  MechanismName,
  ReleaseResponseReason,
  VaaName,
} from '../acse/index.ts';
import {
  decodeXdlmsApdu,
  ExceptionServiceError,
  ExceptionStateError,
  type GeneralBlockTransfer,
} from '../apdu/index.ts';
import type { DlmsData } from '../axdr/index.ts';
import { toHex } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import {
  CipheredApduTag,
  type CipheredKind,
  cipherApdu,
  decipherApdu,
  generateChallenge,
  hlsGmacF,
  type InvocationCounterState,
  isCipheredTag,
  llsPasswordMatches,
  type RandomSource,
  type SecurityKeys,
  verifyHlsGmacF,
} from '../security/index.ts';
import { EventSink, type SessionEvent, type SessionHooks } from './events.ts';
import { GbtReceiver, GbtSender, gbtBlock } from './gbt.ts';
import type { AccessContext, ObjectModel, ServerAssociation } from './object-model.ts';
import {
  asDlmsError,
  CIPHER_OVERHEAD,
  cipheredTag,
  policyRequirement,
  securityControlFor,
} from './protection.ts';
import {
  dataNotificationApdu,
  type EventNotifyInput,
  eventNotificationApdu,
  exceptionResponse,
  type NotifyInput,
  rejectAare,
} from './server-apdus.ts';
import { ServerServices } from './server-services.ts';
import {
  type CipheringStyle,
  DEFAULT_CHALLENGE_LENGTH,
  DLMS_VERSION,
  requiresCiphering,
} from './settings.ts';

export interface ServerSessionOptions {
  /** The meter's system title (responding-AP-title, IV prefix). */
  systemTitle: Uint8Array;
  associations: readonly ServerAssociation[];
  model: ObjectModel;
  /** Client SAP of the connection this session serves (from the HDLC or wrapper address). */
  clientSap: number;
  invocationCounters: InvocationCounterState;
  random?: RandomSource;
  hooks?: SessionHooks;
}

export interface ServerStep {
  /** APDUs to send, in order (several when a GBT window allows). */
  send: Uint8Array[];
  events: SessionEvent[];
}

export type ServerState = 'idle' | 'hls-pending' | 'associated';

const XDLMS_REQUESTS = new Set(['get-request', 'set-request', 'action-request']);

/**
 * The meter side of one client SAP's association: accepts AARQ, authenticates, deciphers
 * requests, dispatches them to the object model and protects the answers. Pure and synchronous.
 */
export class ServerSession {
  state: ServerState = 'idle';
  private readonly options: ServerSessionOptions;
  private readonly hooks: SessionHooks;
  private assoc: ServerAssociation | undefined;
  private conformanceBits = 0;
  private clientMaxPdu = 0xffff;
  private clientSystemTitle: Uint8Array | undefined;
  private dedicatedKey: Uint8Array | undefined;
  private ctos: Uint8Array | undefined;
  private stoc: Uint8Array | undefined;
  private responseStyle: CipheringStyle = 'glo';
  private gbtOut: GbtSender | undefined;
  private gbtIn: GbtReceiver | undefined;
  private gbtOwn = 0;
  private readonly services: ServerServices;

  constructor(options: ServerSessionOptions) {
    this.options = options;
    this.hooks = options.hooks ?? {};
    this.services = new ServerServices({
      model: options.model,
      context: () => this.context(),
      negotiated: (name) => this.negotiated(name),
      responseLimit: () => this.clientMaxPdu - (this.ciphering ? CIPHER_OVERHEAD : 0),
      hlsPending: () => this.state === 'hls-pending',
      replyToHls: (params) => this.replyToHls(params),
    });
  }

  get association(): ServerAssociation | undefined {
    return this.assoc;
  }

  private get ciphering(): boolean {
    return requiresCiphering(this.assoc?.policy);
  }

  private negotiated(name: ConformanceName): boolean {
    return (this.conformanceBits & conformanceMask(name)) !== 0;
  }

  private context(): AccessContext {
    return {
      association: this.assoc?.key ?? '',
      clientSap: this.options.clientSap,
      ...(this.clientSystemTitle === undefined ? {} : { clientSystemTitle: this.clientSystemTitle }),
    };
  }

  private drop(): void {
    this.state = 'idle';
    this.assoc = undefined;
    this.conformanceBits = 0;
    this.gbtIn = undefined;
    this.gbtOut = undefined;
    this.services.reset();
  }

  /** Feeds one APDU from the client. */
  receive(apdu: Uint8Array): ServerStep {
    const sink = new EventSink(this.hooks);
    try {
      return { send: this.dispatch(apdu, sink), events: sink.drain() };
    } catch (e) {
      const error = asDlmsError(e);
      sink.push({ type: 'error', error });
      const out = exceptionResponse(
        ExceptionStateError['service-not-allowed'],
        ExceptionServiceError['other-reason'],
      );
      sink.trace('tx', 'plain', out);
      return { send: [out], events: sink.drain() };
    }
  }

  private dispatch(apdu: Uint8Array, sink: EventSink): Uint8Array[] {
    const tag = apdu[0];
    if (tag === 0x60) {
      sink.trace('rx', 'plain', apdu);
      return [this.plainOut(this.onAarq(apdu, sink), sink)];
    }
    if (tag === 0x62) {
      sink.trace('rx', 'plain', apdu);
      const wasAssociated = this.state !== 'idle';
      this.drop();
      if (wasAssociated) sink.push({ type: 'released' });
      return [this.plainOut(encodeRlre({ reason: ReleaseResponseReason.normal }), sink)];
    }
    if (this.state === 'idle') {
      sink.trace('rx', 'plain', apdu);
      return [
        this.plainOut(
          exceptionResponse(
            ExceptionStateError['service-not-allowed'],
            ExceptionServiceError['operation-not-possible'],
          ),
          sink,
        ),
      ];
    }
    const max = this.assoc?.maxReceivePduSize ?? 0;
    if (max > 0 && apdu.length > max) {
      sink.trace('rx', 'plain', apdu);
      sink.push({
        type: 'error',
        error: new DlmsError(DlmsErrorCode.Protocol, `request of ${apdu.length} bytes exceeds ${max}`),
      });
      return [
        this.plainOut(
          exceptionResponse(
            ExceptionStateError['service-not-allowed'],
            ExceptionServiceError['pdu-too-long'],
          ),
          sink,
        ),
      ];
    }
    if (tag === 0xe0) return this.onGbt(apdu, sink);
    return this.onRequest(apdu, sink);
  }

  private plainOut(apdu: Uint8Array, sink: EventSink): Uint8Array {
    sink.trace('tx', 'plain', apdu);
    return apdu;
  }

  private onGbt(apdu: Uint8Array, sink: EventSink): Uint8Array[] {
    sink.trace('rx', 'plain', apdu);
    const block = decodeXdlmsApdu(apdu) as GeneralBlockTransfer;
    if (this.gbtOut !== undefined && !this.gbtOut.done && block.blockData.length === 0) {
      const out = this.gbtOut.next(block.blockNumber, block.window);
      for (const b of out) sink.trace('tx', 'plain', b);
      return out;
    }
    this.gbtIn ??= new GbtReceiver();
    const whole = this.gbtIn.add(block);
    if (whole === undefined) {
      this.gbtOwn++;
      return [this.plainOut(gbtBlock(this.gbtOwn, block.blockNumber, new Uint8Array(0), true), sink)];
    }
    this.gbtIn = undefined;
    return this.onRequest(whole, sink);
  }

  private keys(kind: CipheredKind): SecurityKeys {
    const keys = this.assoc?.keys;
    if (keys === undefined) throw new DlmsError(DlmsErrorCode.Security, 'association has no keys');
    if (kind === 'ded' || kind === 'general-ded') {
      if (this.dedicatedKey === undefined) throw new DlmsError(DlmsErrorCode.Security, 'no dedicated key');
      return { ek: this.dedicatedKey, ak: keys.ak };
    }
    return keys;
  }

  private onRequest(wire: Uint8Array, sink: EventSink): Uint8Array[] {
    let plain = wire;
    const assoc = this.assoc!;
    if (isCipheredTag(wire[0] ?? 0)) {
      sink.trace('rx', 'ciphered', wire);
      try {
        const d = decipherApdu(wire, {
          keyResolver: ({ kind }) => this.keys(kind),
          ...(this.clientSystemTitle === undefined ? {} : { systemTitle: this.clientSystemTitle }),
          guard: this.options.invocationCounters,
          ...(requiresCiphering(assoc.policy) ? { require: policyRequirement(assoc.policy) } : {}),
        });
        plain = d.plaintext;
        this.responseStyle = d.kind === 'general-glo' ? 'general-glo' : d.kind === 'ded' ? 'ded' : 'glo';
      } catch (e) {
        const error = asDlmsError(e);
        sink.push({ type: 'error', error });
        if (error.code === DlmsErrorCode.Replay) {
          const last = this.options.invocationCounters.lastReceived(
            toHex(this.clientSystemTitle ?? new Uint8Array(0)),
          );
          return [
            this.plainOut(
              exceptionResponse(
                ExceptionStateError['service-not-allowed'],
                ExceptionServiceError['invocation-counter-error'],
                Math.min(0xffffffff, (last ?? 0) + 1),
              ),
              sink,
            ),
          ];
        }
        return [
          this.plainOut(
            exceptionResponse(
              ExceptionStateError['service-not-allowed'],
              ExceptionServiceError['deciphering-error'],
            ),
            sink,
          ),
        ];
      }
      sink.trace('rx', 'plain', plain);
    } else {
      sink.trace('rx', 'plain', wire);
      if (this.ciphering) {
        sink.push({
          type: 'error',
          error: new DlmsError(DlmsErrorCode.Security, 'unciphered request in a ciphered association'),
        });
        return [
          this.plainOut(
            exceptionResponse(
              ExceptionStateError['service-not-allowed'],
              ExceptionServiceError['operation-not-possible'],
            ),
            sink,
          ),
        ];
      }
    }
    let request: ReturnType<typeof decodeXdlmsApdu>;
    try {
      request = decodeXdlmsApdu(plain);
    } catch (e) {
      const error = asDlmsError(e);
      sink.push({ type: 'error', error });
      const unknown = error.code === DlmsErrorCode.Unsupported || error.offset === 0;
      return this.respond(
        unknown
          ? exceptionResponse(
              ExceptionStateError['service-unknown'],
              ExceptionServiceError['service-not-supported'],
            )
          : exceptionResponse(
              ExceptionStateError['service-not-allowed'],
              ExceptionServiceError['other-reason'],
            ),
        sink,
      );
    }
    if (!XDLMS_REQUESTS.has(request.type)) {
      return this.respond(
        exceptionResponse(
          ExceptionStateError['service-unknown'],
          ExceptionServiceError['service-not-supported'],
        ),
        sink,
      );
    }
    const base = request.type === 'get-request' ? 'get' : request.type === 'set-request' ? 'set' : 'action';
    if (!this.negotiated(base) && this.state === 'associated') {
      return this.respond(
        exceptionResponse(
          ExceptionStateError['service-not-allowed'],
          ExceptionServiceError['service-not-supported'],
        ),
        sink,
      );
    }
    return this.respond(
      this.services.handleEncoded(request as Parameters<ServerServices['handle']>[0]),
      sink,
    );
  }

  /** Protects one plain response as the association requires and cuts it into GBT blocks when needed. */
  private respond(plain: Uint8Array, sink: EventSink): Uint8Array[] {
    sink.trace('tx', 'plain', plain);
    let wire = plain;
    if (this.ciphering) {
      wire = this.cipher(plain, this.responseStyle);
      sink.trace('tx', 'ciphered', wire);
    }
    if (wire.length > this.clientMaxPdu && this.negotiated('general-block-transfer')) {
      this.gbtOut = new GbtSender(wire, this.clientMaxPdu);
      const out = this.gbtOut.next(this.gbtIn?.lastReceived ?? 0, 1);
      for (const b of out) sink.trace('tx', 'plain', b);
      return out;
    }
    return [wire];
  }

  private cipher(plain: Uint8Array, style: CipheringStyle, assoc = this.assoc!): Uint8Array {
    return cipherApdu({
      tag: cipheredTag(plain[0]!, style),
      securityControl: securityControlFor(assoc.policy),
      systemTitle: this.options.systemTitle,
      invocationCounter: this.options.invocationCounters.nextToSend(),
      plaintext: plain,
      keys: style === 'ded' ? this.keys('ded') : this.keysOf(assoc),
    });
  }

  private keysOf(assoc: ServerAssociation): SecurityKeys {
    if (assoc.keys === undefined) throw new DlmsError(DlmsErrorCode.Security, 'association has no keys');
    return assoc.keys;
  }

  // ---- association -------------------------------------------------------------------------

  private onAarq(bytes: Uint8Array, sink: EventSink): Uint8Array {
    this.drop();
    let aarq: Aarq;
    try {
      aarq = decodeAarq(bytes);
    } catch (e) {
      sink.push({ type: 'error', error: asDlmsError(e) });
      return rejectAare(ApplicationContextName['logical-name-referencing-no-ciphering'], 'no-reason-given');
    }
    const assoc = this.options.associations.find((a) => a.clientSap === this.options.clientSap);
    const ciphered = requiresCiphering(assoc?.policy);
    const context = ciphered
      ? ApplicationContextName['logical-name-referencing-with-ciphering']
      : ApplicationContextName['logical-name-referencing-no-ciphering'];
    if (assoc === undefined) return rejectAare(context, 'no-reason-given');
    if (aarq.applicationContextName !== context)
      return rejectAare(context, 'application-context-name-not-supported');

    const mechanism = aarq.mechanismName ?? MechanismName.none;
    const secret =
      aarq.callingAuthenticationValue?.type === 'charstring'
        ? aarq.callingAuthenticationValue.value
        : undefined;
    const wanted = {
      none: MechanismName.none,
      low: MechanismName.lls,
      'hls-gmac': MechanismName['hls-gmac'],
    }[assoc.authentication];
    if (mechanism !== wanted) {
      return rejectAare(
        context,
        aarq.mechanismName === undefined
          ? 'authentication-mechanism-name-required'
          : 'authentication-mechanism-name-not-recognised',
      );
    }
    if (assoc.authentication === 'low') {
      if (
        secret === undefined ||
        assoc.password === undefined ||
        !llsPasswordMatches(assoc.password, secret)
      ) {
        return rejectAare(context, 'authentication-failure');
      }
    }
    const title = aarq.callingApTitle;
    if ((ciphered || assoc.authentication === 'hls-gmac') && (title === undefined || title.length !== 8)) {
      return rejectAare(context, 'calling-AP-title-not-recognized');
    }
    if (
      assoc.authentication === 'hls-gmac' &&
      (secret === undefined || secret.length < 8 || secret.length > 64)
    ) {
      return rejectAare(context, 'authentication-failure');
    }
    if (aarq.userInformation === undefined) return rejectAare(context, 'no-reason-given');

    let user: ReturnType<typeof decodeUserInformation>;
    let initiateTag: number = CipheredApduTag.gloInitiateResponse;
    try {
      user = decodeUserInformation(aarq.userInformation);
      if (user.kind === 'ciphered') {
        const d = decipherApdu(user.raw, {
          keys: this.keysOf(assoc),
          systemTitle: title!,
          guard: this.options.invocationCounters,
          require: policyRequirement(assoc.policy),
        });
        user = decodeUserInformation(d.plaintext);
        if (d.kind === 'general-glo') initiateTag = CipheredApduTag.generalGloCiphering;
      } else if (ciphered) {
        return rejectAare(context, 'no-reason-given');
      }
    } catch (e) {
      sink.push({ type: 'error', error: asDlmsError(e) });
      return rejectAare(context, 'no-reason-given');
    }
    if (user.kind !== 'initiate-request') return rejectAare(context, 'no-reason-given');
    const req = user.value;
    if (req.proposedDlmsVersionNumber < DLMS_VERSION) {
      return rejectAare(context, 'no-reason-given', 'dlms-version-too-low');
    }
    const clientMax = req.clientMaxReceivePduSize === 0 ? 0xffff : req.clientMaxReceivePduSize;
    if (clientMax < 12) return rejectAare(context, 'no-reason-given', 'pdu-size-too-short');
    const bits = conformanceToBits(req.proposedConformance) & conformanceToBits(assoc.conformance);
    if (bits === 0) return rejectAare(context, 'no-reason-given', 'incompatible-conformance');

    this.assoc = assoc;
    this.conformanceBits = bits;
    this.clientMaxPdu = clientMax;
    this.clientSystemTitle = title;
    this.dedicatedKey = req.dedicatedKey;
    this.responseStyle = assoc.style ?? 'glo';
    const initiate = encodeInitiateResponse({
      negotiatedDlmsVersionNumber: DLMS_VERSION,
      negotiatedConformance: conformanceFromBits(bits),
      serverMaxReceivePduSize: assoc.maxReceivePduSize,
      vaaName: VaaName['logical-name'],
    });
    const userInformation = ciphered
      ? cipherApdu({
          tag: initiateTag,
          securityControl: securityControlFor(assoc.policy),
          systemTitle: this.options.systemTitle,
          invocationCounter: this.options.invocationCounters.nextToSend(),
          plaintext: initiate,
          keys: this.keysOf(assoc),
        })
      : initiate;
    const hls = assoc.authentication === 'hls-gmac';
    const aare: Aare = {
      applicationContextName: context,
      result: AssociationResult.accepted,
      resultSourceDiagnostic: {
        source: 'acse-service-user',
        value: hls ? AcseServiceUser['authentication-required'] : AcseServiceUser.null,
      },
      ...(ciphered || hls ? { respondingApTitle: this.options.systemTitle } : {}),
      userInformation,
    };
    if (hls) {
      this.ctos = secret;
      this.stoc = generateChallenge(assoc.challengeLength ?? DEFAULT_CHALLENGE_LENGTH, this.options.random);
      aare.responderAcseRequirements = { authentication: true };
      aare.mechanismName = MechanismName['hls-gmac'];
      aare.respondingAuthenticationValue = { type: 'charstring', value: this.stoc };
      this.state = 'hls-pending';
    } else {
      this.state = 'associated';
      sink.push({ type: 'associated', conformance: bits, maxPduSize: clientMax });
    }
    return encodeAare(aare);
  }

  private replyToHls(params: DlmsData | undefined): { result: number; returnData?: DlmsData } {
    const assoc = this.assoc!;
    const keys = this.keysOf(assoc);
    try {
      if (params?.type !== 'octet-string')
        throw new DlmsError(DlmsErrorCode.AuthenticationFailed, 'f(StoC) missing');
      verifyHlsGmacF(params.value, {
        systemTitle: this.clientSystemTitle!,
        challenge: this.stoc!,
        ek: keys.ek,
        ak: keys.ak,
      });
    } catch (e) {
      asDlmsError(e);
      this.state = 'idle';
      return { result: 250 };
    }
    const f = hlsGmacF({
      systemTitle: this.options.systemTitle,
      invocationCounter: this.options.invocationCounters.nextToSend(),
      challenge: this.ctos!,
      ek: keys.ek,
      ak: keys.ak,
    });
    this.state = 'associated';
    return { result: 0, returnData: { type: 'octet-string', value: f } };
  }

  // ---- notifications -----------------------------------------------------------------------

  private notifyAssociation(key: string | undefined): ServerAssociation | undefined {
    if (key === undefined)
      return this.assoc ?? this.options.associations.find((a) => a.clientSap === this.options.clientSap);
    return this.options.associations.find((a) => a.key === key);
  }

  private protectNotification(plain: Uint8Array, key: string | undefined, sink: EventSink): Uint8Array {
    sink.trace('tx', 'plain', plain);
    const assoc = this.notifyAssociation(key);
    if (assoc === undefined || !requiresCiphering(assoc.policy)) return plain;
    const wire = this.cipher(plain, assoc.style === 'ded' ? 'glo' : (assoc.style ?? 'general-glo'), assoc);
    sink.trace('tx', 'ciphered', wire);
    return wire;
  }

  /** A DataNotification (push), ciphered as the association is configured. */
  notify(input: NotifyInput): ServerStep {
    const sink = new EventSink(this.hooks);
    const plain = dataNotificationApdu(input);
    return { send: [this.protectNotification(plain, input.association, sink)], events: sink.drain() };
  }

  /** An EventNotificationRequest, ciphered as the association is configured. */
  notifyEvent(input: EventNotifyInput): ServerStep {
    const sink = new EventSink(this.hooks);
    const plain = eventNotificationApdu(input);
    return { send: [this.protectNotification(plain, input.association, sink)], events: sink.drain() };
  }
}
