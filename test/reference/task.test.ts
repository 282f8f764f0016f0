import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutput, distinctiveFeatures, templateNames } from '../../src/reference/task.js';

test('the right template passes every check with no variance', () => {
  assert.deepEqual(checkOutput({ needs: ['create', 'read', 'update', 'delete', 'list'] }, 'rest_crud'), {
    testPassRate: 1,
    implementationVariance: 0,
  });
  assert.deepEqual(checkOutput({ needs: ['list', 'cursor'] }, 'pagination'), { testPassRate: 1, implementationVariance: 0 });
});

test('a near-miss template gets partial credit and a variance of p(1-p)/n', () => {
  const needs = ['list', 'page_size', 'cursor'];
  const search = checkOutput({ needs }, 'search_filter');
  assert.equal(search.testPassRate, 1 / 3, 'search_filter provides list only');
  assert.ok(Math.abs(search.implementationVariance - ((1 / 3) * (2 / 3)) / 3) < 1e-12);
  const crud = checkOutput({ needs: ['create', 'read', 'update', 'delete', 'list'] }, 'caching');
  assert.equal(crud.testPassRate, 0.2, 'caching provides read only');
  assert.ok(Math.abs(crud.implementationVariance - (0.2 * 0.8) / 5) < 1e-12);
});

test('an unrelated or unknown output fails every check', () => {
  assert.deepEqual(checkOutput({ needs: ['quota', 'window'] }, 'file_upload'), { testPassRate: 0, implementationVariance: 0 });
  assert.deepEqual(checkOutput({ needs: ['quota'] }, 'no_such_template'), { testPassRate: 0, implementationVariance: 0 });
  assert.throws(() => checkOutput({ needs: [] }, 'rest_crud'), /at least one feature/);
});

test('every template has a feature no other template provides', () => {
  for (const t of templateNames) assert.ok(distinctiveFeatures(t).length > 0, t);
  assert.deepEqual(distinctiveFeatures('webhook_delivery'), ['signature']);
  assert.deepEqual(distinctiveFeatures('rest_crud'), ['create', 'update', 'delete']);
});
