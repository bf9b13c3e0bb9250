import { render } from '../../ui.js';
import './common.js';
export async function overviewScreen() { render('overviewScreen'); }
export async function municipalitiesScreen() { render('municipalitiesScreen'); }
