import { render } from '../../ui.js';
import './common.js';
export async function seriesListScreen() { render('seriesListScreen'); }
export async function seriesScreen() { render('seriesScreen'); }
export async function noteScreen() { render('noteScreen'); }
