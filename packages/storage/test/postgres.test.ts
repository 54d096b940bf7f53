import { storeContract } from './contract.ts';
import { billingContract } from './contract-billing.ts';
import { controlContract } from './contract-control.ts';
import { currentValuesContract } from './contract-current.ts';
import { prepaymentContract } from './contract-prepayment.ts';
import { veeContract } from './contract-vee.ts';
import { pgConcurrency } from './pg-concurrency.ts';
import { pgHarness } from './pg-harness.ts';

storeContract('postgres', pgHarness);
pgConcurrency(pgHarness);
controlContract('postgres', pgHarness);
veeContract('postgres', pgHarness);
billingContract('postgres', pgHarness);
prepaymentContract('postgres', pgHarness);
currentValuesContract('postgres', pgHarness);
