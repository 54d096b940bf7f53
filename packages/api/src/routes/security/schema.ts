import { Type } from 'typebox';

export const ResyncReply = Type.Object(
  {
    meterId: Type.Integer(),
    association: Type.String({ description: 'Association the counter was read over (authenticated)' }),
    counterObject: Type.String({ description: "OBIS of the meter's invocation counter object" }),
    meterCounter: Type.Integer({ description: 'Value the counter object gave' }),
    authenticated: Type.Integer({
      description: "Highest counter the meter's authenticated responses carried in the resync session",
    }),
    previous: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Stored floor before the resync (null: none)',
    }),
    floor: Type.Integer({
      description: 'Stored floor now: responses and pushes must carry a counter above it',
    }),
  },
  { title: 'CounterResync' },
);
